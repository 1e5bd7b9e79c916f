from django.http import Http404


def order_list_view(request):
    raise Http404
