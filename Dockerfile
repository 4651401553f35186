# The portal's one image: web (gunicorn), worker and beat differ only in their command
# (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The lock first, so that a change of code alone reuses the installed-packages layer.
COPY requirements.lock ./
RUN pip install --requirement requirements.lock

COPY . .

# Static files are part of the image. DEBUG=1 only lets the settings load without the runtime
# secrets for this one command; the files collected do not depend on it, and nothing of it is
# kept in the image's environment.
RUN DEBUG=1 python manage.py collectstatic --noinput --verbosity 0

# Never run as root: the portal writes only under var/ (the beat schedule).
RUN useradd --system --no-create-home --home-dir /app --uid 10001 portal \
    && chown -R portal /app/var
USER portal

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
