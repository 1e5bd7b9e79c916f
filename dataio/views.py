from django.http import Http404


def export_list_view(request):
    raise Http404


def import_list_view(request):
    raise Http404


def bulk_update_view(request):
    raise Http404
