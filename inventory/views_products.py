"""The product pages: list (search as you type, filters, sorting, page size), detail, the
create form with its variant matrix, edit, archive, restore and delete; a product's
variants: add (matrix), edit, archive, restore, delete.

Staff see products without prices or costs; Managers and Admins manage them.
"""
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError, Conflict, ValidationFailed
from core.forms import form_error_add
from core.htmx import fragment_requested, render_page_or_fragment
from core.shortcuts import get_or_404
from inventory.forms_catalogue import (
    PAGE_SIZES,
    OptionsForm,
    ProductFilterForm,
    ProductForm,
    VariantEditForm,
    VariantRowFormSet,
)
from inventory.selectors_catalogue import (
    PRICE_SORTS,
    product_get,
    product_list,
    product_options,
    product_variant_get,
    product_variants,
)
from inventory.services.images import image_check
from inventory.services.products import (
    VariantRowError,
    VariantSpec,
    options_parse,
    product_archive,
    product_create,
    product_delete,
    product_references,
    product_restore,
    product_update,
    references_count,
    sku_suggest,
    variant_archive,
    variant_delete,
    variant_matrix,
    variant_restore,
    variant_update,
    variants_add,
)

PRICES_PERM = "inventory.view_prices"


def _show_prices(request) -> bool:
    return request.user.has_perm(PRICES_PERM)


# --- list and detail ------------------------------------------------------------------

@permission_required("inventory.view_product", raise_exception=True)
@require_GET
def product_list_view(request):
    show_prices = _show_prices(request)
    form = ProductFilterForm(request.GET, show_prices=show_prices)
    form.is_valid()  # invalid parameters are dropped; valid ones still filter
    sort = form.value("sort", "name")
    if sort in PRICE_SORTS and not show_prices:
        sort = "name"
    products = product_list(q=form.value("q", ""), category_id=form.value("category"),
                            active=form.active_value(), sort=sort)
    page_size = form.value("page_size", PAGE_SIZES[0])
    page = Paginator(products, page_size).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page, "sort": sort, "show_prices": show_prices}
    return render_page_or_fragment(request, "inventory/products/product_list.html", "product-rows", context)


@permission_required("inventory.view_product", raise_exception=True)
@require_GET
def product_detail_view(request, product_id: int):
    product = get_or_404(product_get, pk=product_id)
    context = {"product": product, "variants": list(product.variants.all()), "show_prices": _show_prices(request)}
    return render(request, "inventory/products/product_detail.html", context)


# --- the variant matrix --------------------------------------------------------------

def _rows_from_post(formset) -> dict[str, dict]:
    """What the user typed in each proposed row, keyed by the row's options (JSON)."""
    rows = {}
    for form in formset.forms:
        data = {name: form[name].value() for name in ("attributes", "sku", "sku_suggested", "barcode", "price", "include")
                if name in form.fields}
        key = data.get("attributes") or "{}"
        try:
            key = json.dumps(json.loads(key), sort_keys=True)
        except ValueError:
            continue
        rows[key] = data
    return rows


def _matrix_initial(*, product_name: str, options, previous: dict[str, dict], exclude: set[str]) -> list[dict]:
    """The matrix's rows: every combination of the options (less `exclude`), keeping what was
    typed in a row for the same combination; a SKU still as suggested follows the name."""
    initial = []
    for proposal in variant_matrix(product_name=product_name, options=options):
        key = json.dumps(proposal["attributes"], sort_keys=True)
        if key in exclude:
            continue
        row = {"attributes": json.dumps(proposal["attributes"]), "sku": proposal["sku"],
               "sku_suggested": proposal["sku"], "barcode": "", "price": None, "include": True}
        old = previous.get(key)
        if old is not None:
            if old.get("sku") and old.get("sku") != old.get("sku_suggested"):
                row["sku"] = old["sku"]
            row["barcode"] = old.get("barcode") or ""
            row["price"] = old.get("price") or None
            row["include"] = bool(old.get("include"))
        initial.append(row)
    return initial


def _existing_keys(product) -> set[str]:
    return {json.dumps(v.attributes or {}, sort_keys=True) for v in product_variants(product=product)} if product else set()


def _matrix_build(request, *, product_name: str, options_form: OptionsForm, product=None):
    """An unbound formset proposing the matrix again from the options posted, or an error."""
    show_prices = _show_prices(request)
    posted = VariantRowFormSet(request.POST, request.FILES, prefix="variants", show_prices=show_prices)
    previous = _rows_from_post(posted) if posted.management_form.is_valid() else {}
    try:
        options = options_parse(options_form.pairs())
        initial = _matrix_initial(product_name=product_name, options=options, previous=previous,
                                  exclude=_existing_keys(product))
        error = ""
    except ValidationFailed as exc:
        initial, error = [], exc.message
    formset = VariantRowFormSet(initial=initial, prefix="variants", show_prices=show_prices)
    return formset, error


def _specs_from(request, formset) -> list[VariantSpec]:
    """The rows to create, their images checked (a bad image is an error on its row)."""
    specs, ok = [], True
    for form in formset.forms:
        data = form.cleaned_data
        if not data or not data.get("include"):
            continue
        image = None
        if data.get("image"):
            try:
                image = image_check(data["image"], field="image")
            except ValidationFailed as exc:
                form.add_error("image", exc.message)
                ok = False
                continue
        specs.append(VariantSpec(sku=data["sku"], attributes=data["attributes"], barcode=data.get("barcode", ""),
                                 price=data.get("price"), image=image))
        specs[-1].form = form
    if not ok:
        raise ValidationFailed("An image was refused: see its row.")
    return specs


def _row_error(formset, specs, exc: VariantRowError) -> None:
    """Put a service's row error on the form of that row (rows count the included ones)."""
    form = getattr(specs[exc.row - 1], "form", None) if 0 < exc.row <= len(specs) else None
    if form is None:
        formset._non_form_errors = formset.error_class([exc.message])
        return
    field = exc.row_field if exc.row_field in form.fields else None
    form.add_error(field, exc.message)


def _image_from(form, field: str = "image"):
    upload = form.cleaned_data.get(field)
    return image_check(upload, field=field) if upload else None


# --- create and edit ------------------------------------------------------------------

@permission_required("inventory.add_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_create_view(request):
    show_prices = _show_prices(request)
    matrix_error = ""
    if request.method == "POST":
        form = ProductForm(request.POST, request.FILES, show_prices=show_prices)
        options_form = OptionsForm(request.POST)
        if "generate" in request.POST:
            formset, matrix_error = _matrix_build(request, product_name=request.POST.get("name", ""),
                                                  options_form=options_form)
            context = {"form": form, "options_form": options_form, "formset": formset, "matrix_error": matrix_error,
                       "show_prices": show_prices, "product": None,
               "generate_url": reverse("products:product_create"), "image_max_mb": settings.IMAGE_MAX_MB}
            if fragment_requested(request):
                return render(request, "inventory/products/product_form.html#variant-matrix", context)
            # The product's fields as typed, without errors: nothing was submitted yet.
            context["form"] = ProductForm(initial=request.POST.dict(), show_prices=show_prices)
            return render(request, "inventory/products/product_form.html", context)
        formset = VariantRowFormSet(request.POST, request.FILES, prefix="variants", show_prices=show_prices)
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            specs = []
            try:
                image = _image_from(form)
                specs = _specs_from(request, formset)
                if not formset.forms:
                    specs = [VariantSpec(sku=sku_suggest(product_name=data["name"], values=[]))]
                product = product_create(
                    name=data["name"], description=data["description"], category=data["category"],
                    price=data.get("price"), cost=data.get("cost"), track_inventory=data["track_inventory"],
                    active=data["active"], variants=specs, image=image, user=request.user,
                )
            except VariantRowError as exc:
                _row_error(formset, specs, exc)
            except ApplicationError as exc:
                if exc.field == "variants":
                    matrix_error = exc.message
                elif exc.message != "An image was refused: see its row.":
                    form_error_add(form, exc)
            else:
                count = product.variants.count()
                messages.success(request, f"Product {product.name} created with {count} variant{'s' if count != 1 else ''}.")
                return redirect("products:product_detail", product_id=product.pk)
        status = 400
    else:
        form = ProductForm(show_prices=show_prices)
        options_form = OptionsForm()
        formset = VariantRowFormSet(prefix="variants", show_prices=show_prices)
        status = 200
    context = {"form": form, "options_form": options_form, "formset": formset, "matrix_error": matrix_error,
               "show_prices": show_prices, "product": None,
               "generate_url": reverse("products:product_create"), "image_max_mb": settings.IMAGE_MAX_MB}
    return render(request, "inventory/products/product_form.html", context, status=status)


@permission_required("inventory.change_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_edit_view(request, product_id: int):
    product = get_or_404(product_get, pk=product_id)
    show_prices = _show_prices(request)
    if request.method == "POST":
        form = ProductForm(request.POST, request.FILES, show_prices=show_prices, product=product)
        if form.is_valid():
            data = form.cleaned_data
            fields = {name: data[name] for name in ("name", "description", "category", "price", "cost",
                                                     "track_inventory", "active") if name in data}
            try:
                product = product_update(product=product, image=_image_from(form),
                                         image_remove=data.get("image_remove", False), user=request.user, **fields)
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, f"Product {product.name} saved.")
                return redirect("products:product_detail", product_id=product.pk)
        status = 400
    else:
        initial = {name: getattr(product, name) for name in ("name", "description", "category", "price", "cost",
                                                            "track_inventory", "active")}
        initial["category"] = str(product.category_id) if product.category_id else ""
        form = ProductForm(initial=initial, show_prices=show_prices, product=product)
        status = 200
    return render(request, "inventory/products/product_edit.html", {"form": form, "product": product,
                                                                      "image_max_mb": settings.IMAGE_MAX_MB},
                  status=status)


def _set_product_active(request, product_id: int, *, active: bool):
    product = get_or_404(product_get, pk=product_id)
    (product_restore if active else product_archive)(product=product, user=request.user)
    if active:
        messages.success(request, f"Product {product.name} is active again.")
    else:
        messages.success(request, f"Product {product.name} is archived: it is hidden from active lists; its stock "
                                  "and history stay.")
    return redirect("products:product_detail", product_id=product.pk)


@permission_required("inventory.change_product", raise_exception=True)
@require_POST
def product_archive_view(request, product_id: int):
    return _set_product_active(request, product_id, active=False)


@permission_required("inventory.change_product", raise_exception=True)
@require_POST
def product_restore_view(request, product_id: int):
    return _set_product_active(request, product_id, active=True)


@permission_required("inventory.delete_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_delete_view(request, product_id: int):
    """GET asks to confirm (or says why it can only be archived); POST deletes or refuses (409)."""
    product = get_or_404(product_get, pk=product_id)
    refusal, status = "", 200
    if request.method == "POST":
        try:
            product_delete(product=product, user=request.user)
        except Conflict as exc:
            refusal, status = exc.message, 409
        else:
            messages.success(request, f"Product {product.name} deleted.")
            return redirect("products:product_list")
    context = {"object_label": f"product {product.name}", "references": product_references(product=product),
               "refusal": refusal, "back_url": product_detail_url(product),
               "archive_url": _url("products:product_archive", product_id=product.pk) if product.active else "",
               "title": f"Delete {product.name}"}
    return render(request, "inventory/products/confirm_delete.html", context, status=status)


def _url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


def product_detail_url(product) -> str:
    return _url("products:product_detail", product_id=product.pk)


# --- variants -------------------------------------------------------------------------

@permission_required("inventory.add_variant", raise_exception=True)
@require_http_methods(["GET", "POST"])
def variant_add_view(request, product_id: int):
    """Add variants to a product: its options (prefilled), then the new combinations."""
    product = get_or_404(product_get, pk=product_id)
    show_prices = _show_prices(request)
    matrix_error, status = "", 200
    if request.method == "POST":
        options_form = OptionsForm(request.POST)
        if "generate" in request.POST:
            formset, matrix_error = _matrix_build(request, product_name=product.name, options_form=options_form,
                                                  product=product)
            context = {"product": product, "options_form": options_form, "formset": formset,
                       "matrix_error": matrix_error, "show_prices": show_prices,
                       "generate_url": _url("products:variant_add", product_id=product.pk)}
            if fragment_requested(request):
                return render(request, "inventory/products/variant_add.html#variant-matrix", context)
            return render(request, "inventory/products/variant_add.html", context)
        formset = VariantRowFormSet(request.POST, request.FILES, prefix="variants", show_prices=show_prices)
        specs = []
        if formset.is_valid():
            try:
                specs = _specs_from(request, formset)
                added = variants_add(product=product, variants=specs, user=request.user)
            except VariantRowError as exc:
                _row_error(formset, specs, exc)
            except ApplicationError as exc:
                if exc.message != "An image was refused: see its row.":
                    matrix_error = exc.message
            else:
                messages.success(request, f"{len(added)} variant{'s' if len(added) != 1 else ''} added to "
                                          f"{product.name}.")
                return redirect("products:product_detail", product_id=product.pk)
        status = 400
    else:
        options = product_options(product=product)
        options_form = OptionsForm(initial=OptionsForm.initial_from(options))
        formset = VariantRowFormSet(prefix="variants", show_prices=show_prices)
    context = {"product": product, "options_form": options_form, "formset": formset, "matrix_error": matrix_error,
               "show_prices": show_prices, "generate_url": _url("products:variant_add", product_id=product.pk)}
    return render(request, "inventory/products/variant_add.html", context, status=status)


@permission_required("inventory.change_variant", raise_exception=True)
@require_http_methods(["GET", "POST"])
def variant_edit_view(request, product_id: int, variant_id: int):
    product = get_or_404(product_get, pk=product_id)
    variant = get_or_404(product_variant_get, product=product, pk=variant_id)
    show_prices = _show_prices(request)
    option_names = list((variant.attributes or {}).keys()) or [name for name, _ in product_options(product=product)]
    status = 200
    if request.method == "POST":
        form = VariantEditForm(request.POST, request.FILES, option_names=option_names, show_prices=show_prices,
                               variant=variant)
        if form.is_valid():
            data = form.cleaned_data
            fields = {name: data[name] for name in ("sku", "barcode", "price", "cost", "active") if name in data}
            try:
                variant = variant_update(variant=variant, attributes=form.attributes(), image=_image_from(form),
                                         image_remove=data.get("image_remove", False), user=request.user, **fields)
            except ApplicationError as exc:
                form_error_add(form, exc, field_map={"attributes": None})
            else:
                messages.success(request, f"Variant {variant.sku} saved.")
                return redirect("products:product_detail", product_id=product.pk)
        status = 400
    else:
        initial = {"sku": variant.sku, "barcode": variant.barcode, "price": variant.price, "cost": variant.cost,
                   "active": variant.active}
        for i, name in enumerate(option_names):
            initial[f"option_{i}"] = (variant.attributes or {}).get(name, "")
        form = VariantEditForm(initial=initial, option_names=option_names, show_prices=show_prices, variant=variant)
    context = {"product": product, "variant": variant, "form": form}
    return render(request, "inventory/products/variant_edit.html", context, status=status)


def _set_variant_active(request, product_id: int, variant_id: int, *, active: bool):
    product = get_or_404(product_get, pk=product_id)
    variant = get_or_404(product_variant_get, product=product, pk=variant_id)
    (variant_restore if active else variant_archive)(variant=variant, user=request.user)
    messages.success(request, f"Variant {variant.sku} is active again." if active else
                     f"Variant {variant.sku} is archived; its stock and history stay.")
    return redirect("products:product_detail", product_id=product.pk)


@permission_required("inventory.change_variant", raise_exception=True)
@require_POST
def variant_archive_view(request, product_id: int, variant_id: int):
    return _set_variant_active(request, product_id, variant_id, active=False)


@permission_required("inventory.change_variant", raise_exception=True)
@require_POST
def variant_restore_view(request, product_id: int, variant_id: int):
    return _set_variant_active(request, product_id, variant_id, active=True)


@permission_required("inventory.delete_variant", raise_exception=True)
@require_http_methods(["GET", "POST"])
def variant_delete_view(request, product_id: int, variant_id: int):
    product = get_or_404(product_get, pk=product_id)
    variant = get_or_404(product_variant_get, product=product, pk=variant_id)
    refusal, status = "", 200
    if request.method == "POST":
        try:
            variant_delete(variant=variant, user=request.user)
        except Conflict as exc:
            refusal, status = exc.message, 409
        else:
            messages.success(request, f"Variant {variant.sku} deleted.")
            return redirect("products:product_detail", product_id=product.pk)
    context = {"object_label": f"variant {variant.sku}", "references": references_count(variant),
               "refusal": refusal, "back_url": product_detail_url(product),
               "archive_url": _url("products:variant_archive", product_id=product.pk, variant_id=variant.pk)
               if variant.active else "",
               "title": f"Delete {variant.sku}"}
    return render(request, "inventory/products/confirm_delete.html", context, status=status)

