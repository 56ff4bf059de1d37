# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 3: EXPOSE 27015
#   line 4: EXPOSE 27005
#   line 5: EXPOSE 26901
#   line 6: EXPOSE 27020

component "buildkit-parser-tf2" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apt-get update && apt-get install libc6-dev-i386 curl unzip -y
    RUN mkdir -p /steam
    RUN curl http://media.steampowered.com/client/steamcmd_linux.tar.gz | tar vxz -C /steam
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /steam 755 0:0; m /steam/script 755 0:0; m /steam/script/private 700 0:0
    COPY script/ /steam/script/
    RUN /steam/steamcmd.sh +runscript /steam/script
    RUN curl http://mirror.pointysoftware.net/alliedmodders/mmsource-1.10.0-linux.tar.gz | tar vxz -C /steam/tf2/tf
    RUN curl http://mirror.pointysoftware.net/alliedmodders/sourcemod-1.5.3-linux.tar.gz | tar vxz -C /steam/tf2/tf
    COPY server.cfg /steam/tf2/tf/cfg/server.cfg
    COPY ctf_2fort.cfg /steam/tf2/tf/cfg/ctf_2fort.cfg
    COPY sourcemod.cfg /steam/tf2/tf/cfg/sourcemod/sourcemod.cfg
    RUN rm -r /steam/tf2/tf/addons/sourcemod/configs
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /steam 755 0:0; m /steam/tf2 755 0:0; m /steam/tf2/tf 755 0:0; m /steam/tf2/tf/addons 755 0:0; m /steam/tf2/tf/addons/sourcemod 755 0:0; m /steam/tf2/tf/addons/sourcemod/configs 755 0:0; m /steam/tf2/tf/addons/sourcemod/configs/private 700 0:0
    COPY configs/ /steam/tf2/tf/addons/sourcemod/configs/
    RUN mkdir -p /steam/tf2/tf/addons/sourcemod/translations/en
    RUN cp /steam/tf2/tf/addons/sourcemod/translations/*.txt /steam/tf2/tf/addons/sourcemod/translations/en
    CMD cd /steam/tf2 && ./srcds_run -port 27015 +ip 0.0.0.0 +map ctf_2fort -autoupdate -steam_dir /steam -steamcmd_script /steam/script +tf_bot_quota 12 +tf_bot_quota_mode fill
  EOT
}

template "buildkit-parser-tf2" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:12.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-tf2.id}
  EOT
}
