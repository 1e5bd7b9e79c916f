from django.conf import settings

from accounts.roles import user_role


def navigation(request):
    return {"user_role": user_role(getattr(request, "user", None)), "currency": settings.CURRENCY}
