# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-heredoc" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN /bin/sh -c "$(printf '%s\n' 'echo "print first line from heredoc"' \
        'echo "print second line from heredoc"')"
    RUN /bin/sh -c "$(printf '%s\n' 'echo "Heredoc writing first file" >> /file1' \
        'echo "some text of first file" >> /file1')"
    RUN cat file1
    RUN /bin/sh -c "$(printf '%s\n' 'python3 <<EOF' \
        'with open("/file2", "w") as f:' \
        '    print("file2 from python", file=f)' \
        'EOF')"
    RUN cat file2
    RUN [ -d /index.html ] && t=/index.html/EOF || t=/index.html; printf '%s\n' ' (your index page goes here)' > "$t" && chmod 644 "$t"
    RUN cat index.html
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /test 755 0:0
    RUN t=/test/robots.txt; printf '%s\n' '(robots content)' > "$t" && chmod 644 "$t"
    RUN t=/test/humans.txt; printf '%s\n' '(humans content)' > "$t" && chmod 644 "$t"
    RUN /bin/sh -c "$(printf '%s\n' 'cat /proc/self/fd/5 /proc/self/fd/6 5<<FILE1 6<<FILE2 > test6.txt' \
        'this is the output of test6 part1' \
        'FILE1' \
        'this is the output of test6 part2' \
        'FILE2')"
    RUN /bin/sh -c "$(printf '%s\n' '5<<file cat /proc/self/fd/5 /proc/self/fd/6 6<<FILE | cat /dev/stdin /proc/self/fd/6 6<<File > test7.txt' \
        'this is the output of test7 part1' \
        'file' \
        'this is the output of test7 part2' \
        'FILE' \
        'this is the output of test7 part3' \
        'File')"
    RUN /bin/sh -c "$(printf '%s\n' '<<FILE1 cat > test8.1 && <<FILE2 cat > test8.2' \
        'this is the output of test8 part1' \
        'FILE1' \
        'this is the output of test8 part2' \
        'FILE2')"
    RUN cat /test/robots.txt
    RUN cat /test/humans.txt
    RUN cat test6.txt
    RUN cat test7.txt
    RUN cat test8.1
    RUN cat test8.2
  EOT
}

template "buildah-heredoc" {
  description = "Imported from Dockerfile"
  base_image  = "docker.io/library/python:latest"
  build       = <<-EOT
    COMPONENT ${component.buildah-heredoc.id}
  EOT
}
