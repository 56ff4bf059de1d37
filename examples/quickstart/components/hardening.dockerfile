RUN chmod 0700 /root && \
    echo "umask 027" >> /etc/profile
ENV LANG="C.UTF-8"
