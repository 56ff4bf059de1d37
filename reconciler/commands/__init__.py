"""The Image Builder command language: Dockerfile-style content and YAML components."""
