"""The Image Builder command language: Dockerfile-style content and YAML components, parsed into plain data.

Providers build from it and the reconciler checks it, so it sits on the ground floor."""
