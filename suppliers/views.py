from django.http import Http404


def supplier_list_view(request):
    raise Http404
