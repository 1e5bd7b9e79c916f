FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir .
COPY --from=assets /app/node_modules ./node_modules
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
RUN useradd --system --home /app stockroom && mkdir -p /app/var && chown -R stockroom /app/var
USER stockroom
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--limit-request-line", "8190", "--access-logfile", "-"]
