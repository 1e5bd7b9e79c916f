from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Sales orders"

    def ready(self):
        # Register the tasks with Celery in every process, so a task the services queue by name
        # resolves here too (eager mode runs it in place; otherwise it goes to the broker).
        from orders import tasks  # noqa: F401
