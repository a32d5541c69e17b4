# Deployment image: Debian 12's nginx with the module and conf/.
# Built from the same Makefile targets the tests exercise.
#
#   docker build -t chatcompletions .
#   docker run -p 8000:8000 -e AWS_REGION chatcompletions
#
# Credentials come from the AWS chain (README.md, "AWS credentials"): the
# task role on ECS, IRSA or Pod Identity on EKS, the instance profile on
# EC2, or -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY [-e AWS_SESSION_TOKEN].

FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make deps build

FROM debian:12
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx libyajl2 \
       libexpat1 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/debian/ngx_http_chatcompletions_module.so \
     /usr/lib/nginx/modules/
COPY conf/ /etc/nginx/chatcompletions/
RUN sed -i 's#^pid .*#pid /run/nginx-chatcompletions.pid;#' \
        /etc/nginx/chatcompletions/nginx.conf \
    && sed -i 's#default conf/fintalk/data;#default /etc/nginx/chatcompletions/fintalk/data;#' \
        /etc/nginx/chatcompletions/fintalk/maps.conf
EXPOSE 8000
# AWS_REGION picks the Bedrock region of the shipped config at start, and
# the system's nameserver becomes nginx's resolver (conf/docker-start.sh)
CMD ["sh", "/etc/nginx/chatcompletions/docker-start.sh"]
