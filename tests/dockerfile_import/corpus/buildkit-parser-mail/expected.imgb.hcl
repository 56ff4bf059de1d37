# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-mail" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apt-get update -qy && apt-get install mutt offlineimap vim-nox abook elinks curl tmux cron zsh -y
    COPY .muttrc /
    COPY .offlineimaprc /
    COPY .tmux.conf /
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /.mutt 755 0:0; m /.mutt/private 700 0:0
    COPY mutt/ /.mutt/
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /.vim 755 0:0; m /.vim/private 700 0:0
    COPY vim/ /.vim/
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /.vimrc 755 0:0; m /.vimrc/private 700 0:0
    COPY vimrc/ /.vimrc/
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /etc 755 0:0; m /etc/crontab 755 0:0; m /etc/crontab/private 700 0:0
    COPY crontab/ /etc/crontab/
    RUN chmod 644 /etc/crontab
    RUN mkdir /Mail
    RUN mkdir /.offlineimap
    RUN echo "export TERM=screen-256color" >/.zshenv
    CMD setsid cron; tmux -2
  EOT
}

template "buildkit-parser-mail" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-mail.id}
  EOT
}
