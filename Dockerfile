# sohoa image: the same install script a developer runs, on Debian 12 with Python 3.11.
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY . /app
RUN apt-get update -qq && bash scripts/install.sh && rm -rf /var/lib/apt/lists/*
ENV PATH="/app/.venv/bin:${PATH}" OMP_THREAD_LIMIT=1 SOHOA_HOME=/var/lib/sohoa
RUN useradd --system --home /var/lib/sohoa --create-home sohoa
USER sohoa
ENTRYPOINT ["sohoa"]
CMD ["--help"]
