# The Kinerja image: the worker by default (`python -m worker`), the web service (`kinerja web --host 0.0.0.0`, port
# 8000), and the `kinerja` command for one-shot jobs (`kinerja db upgrade`). Settings come from the environment:
# DATABASE_URL, TEMPORAL__ADDRESS, ... (settings.py).
#
#   docker build -t kinerja .
#   docker run --rm -e DATABASE_URL=postgresql+psycopg://... -e TEMPORAL__ADDRESS=temporal:7233 kinerja
#   docker run --rm -p 127.0.0.1:8000:8000 -e DATABASE_URL=... -e TEMPORAL__ADDRESS=... kinerja \
#       kinerja web --host 0.0.0.0

FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
# DejaVu Sans: the evaluation documents' font (documents/evaluation_pdf.py), which prints any name typed.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
# The dependencies (psycopg's binary build, temporalio, ...) come as wheels from PyPI; the migrations are packaged.
RUN pip install /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin kinerja
USER kinerja
WORKDIR /home/kinerja
# SIGTERM (docker stop) makes the worker stop polling and lets in-flight activities finish for up to 15 s:
# give the container more than that (compose: stop_grace_period).
STOPSIGNAL SIGTERM
EXPOSE 8000
CMD ["python", "-m", "worker"]
