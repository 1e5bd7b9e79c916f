"""The API's documentation page (Swagger UI over /api/v1/schema/)."""
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render


@permission_required("inventory.view_stocklevel", raise_exception=True)
def api_docs_view(request):
    """Swagger UI over /api/v1/schema/, initialised by static/js/api-docs.js (no inline script)."""
    return render(request, "api/docs.html")
