# Deployment image: Debian 12's nginx with the module installed from the
# Debian package that `make deb` builds (debian/), and conf/.
#
#   docker build -t chatcompletions .
#   docker run -p 8000:8000 -e AWS_REGION chatcompletions
#   docker compose up --build          (compose.yaml: the same, with the
#                                       credential variables passed on)
#
# Credentials come from the AWS chain (README.md, "AWS credentials"): the
# task role on ECS, IRSA or Pod Identity on EKS, the instance profile on
# EC2, or -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY [-e AWS_SESSION_TOKEN].
# None is ever written into the image.

# build: the package, with the compiler and nginx-dev (make deb installs
# what it needs)
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make deb

# runtime: nginx and the package, through apt (the package depends on the
# nginx ABI it was built for, and on yajl and expat); no compiler
FROM debian:12-slim
COPY --from=build /src/build/deb/libnginx-mod-http-chatcompletions_*.deb /tmp/
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx ca-certificates \
       /tmp/libnginx-mod-http-chatcompletions_*.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/*.deb
# conf/nginx.conf loads /usr/lib/nginx/modules/ngx_http_chatcompletions_module.so,
# the package's file, itself
COPY conf/ /etc/nginx/chatcompletions/
RUN sed -i 's#^pid .*#pid /run/nginx-chatcompletions.pid;#' \
        /etc/nginx/chatcompletions/nginx.conf \
    && sed -i 's#default conf/fintalk/data;#default /etc/nginx/chatcompletions/fintalk/data;#' \
        /etc/nginx/chatcompletions/fintalk/maps.conf
EXPOSE 8000
# docker stop: nginx finishes the streams in progress, then exits
STOPSIGNAL SIGQUIT
# AWS_REGION picks the Bedrock region of the shipped config at start, and
# the system's nameserver becomes nginx's resolver (conf/docker-start.sh)
CMD ["sh", "/etc/nginx/chatcompletions/docker-start.sh"]
