RUN sed -i 's/^#\?PermitRootLogin.*/PermitRootLogin no/' /etc/ssh/sshd_config
RUN echo "umask 027" >> /etc/profile
ENV LANG="C.UTF-8"
