"""The category pages: the tree by name with product counts, create, rename and move (never
under itself), archive and restore, delete when empty. Staff may look; Managers and Admins
change."""
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from core.forms import form_error_add
from core.shortcuts import get_or_404
from inventory.forms_catalogue import CategoryForm
from inventory.selectors_catalogue import category_get, category_tree
from inventory.services.categories import (
    category_archive,
    category_create,
    category_delete,
    category_restore,
    category_update,
)


@permission_required("inventory.view_category", raise_exception=True)
@require_GET
def category_list_view(request):
    form = CategoryForm() if request.user.has_perm("inventory.add_category") else None
    return render(request, "inventory/categories/category_list.html", {"nodes": category_tree(), "form": form})


@permission_required("inventory.add_category", raise_exception=True)
@require_http_methods(["GET", "POST"])
def category_create_view(request):
    if request.method == "GET":
        return redirect("categories:category_list")
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            category = category_create(name=form.cleaned_data["name"], parent=form.cleaned_data["parent"],
                                       user=request.user)
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            messages.success(request, f"Category {category.path} created.")
            return redirect("categories:category_list")
    return render(request, "inventory/categories/category_list.html", {"nodes": category_tree(), "form": form},
                  status=400)


@permission_required("inventory.change_category", raise_exception=True)
@require_http_methods(["GET", "POST"])
def category_edit_view(request, category_id: int):
    """Rename and move: the parent select leaves out the category itself and everything under it."""
    category = get_or_404(category_get, pk=category_id)
    status = 200
    if request.method == "POST":
        form = CategoryForm(request.POST, category=category)
        if form.is_valid():
            try:
                category = category_update(category=category, name=form.cleaned_data["name"],
                                           parent=form.cleaned_data["parent"], user=request.user)
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, f"Category {category.path} saved.")
                return redirect("categories:category_list")
        status = 400
    else:
        form = CategoryForm(initial={"name": category.name, "parent": str(category.parent_id or "")},
                            category=category)
    return render(request, "inventory/categories/category_edit.html", {"form": form, "category": category},
                  status=status)


def _act(request, category_id: int, service, done: str):
    category = get_or_404(category_get, pk=category_id)
    try:
        category = service(category=category, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if done:
            messages.success(request, done.format(path=category.path))
    return redirect("categories:category_list")


@permission_required("inventory.change_category", raise_exception=True)
@require_POST
def category_archive_view(request, category_id: int):
    return _act(request, category_id, category_archive,
                "Category {path} is archived: its products keep it; it is no longer offered for new ones.")


@permission_required("inventory.change_category", raise_exception=True)
@require_POST
def category_restore_view(request, category_id: int):
    return _act(request, category_id, category_restore, "Category {path} is active again.")


@permission_required("inventory.delete_category", raise_exception=True)
@require_POST
def category_delete_view(request, category_id: int):
    category = get_or_404(category_get, pk=category_id)
    path = category.path
    try:
        category_delete(category=category, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Category {path} deleted.")
    return redirect("categories:category_list")
