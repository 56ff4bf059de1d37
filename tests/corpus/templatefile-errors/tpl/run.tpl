RUN echo ${name} ${missing}
RUN echo ${var.x}
