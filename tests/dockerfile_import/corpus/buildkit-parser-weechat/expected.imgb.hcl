# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-weechat" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apt-get update -qy && apt-get install tmux zsh weechat-curses -y
    COPY .weechat /.weechat
    COPY .tmux.conf /
    RUN echo "export TERM=screen-256color" >/.zshenv
    CMD zsh -c weechat
  EOT
}

template "buildkit-parser-weechat" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-weechat.id}
  EOT
}
