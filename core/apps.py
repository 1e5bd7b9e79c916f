from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        # Register every app's Celery tasks in this process too (web, shell, tests), so that a
        # task queued by name (core.queue) resolves to its task and honours
        # CELERY_TASK_ALWAYS_EAGER. The worker imports them again through autodiscovery.
        autodiscover_modules("tasks")
