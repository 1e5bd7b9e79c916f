from celery import shared_task

from orders.models import SalesOrder
from orders.services.orders import order_confirmation_email_send


@shared_task(name="orders.tasks.order_confirmation_email_task", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def order_confirmation_email_task(order_id: int) -> None:
    """Email the customer that their order is paid and confirmed (once: the sender claims the
    order's confirmation_sent_at before sending and gives it back when sending fails)."""
    order = SalesOrder.objects.filter(pk=order_id).first()
    if order is not None:
        order_confirmation_email_send(order=order)
