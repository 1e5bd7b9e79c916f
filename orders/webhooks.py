from django.http import HttpResponse


def stripe_webhook_view(request):  # replaced by the webhook endpoint
    return HttpResponse(status=404)
