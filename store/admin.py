"""The back office. Vendor isolation is enforced here, on the server: a user without
``store.manage_all_products`` only ever gets querysets of their own vendors' products."""

from typing import ClassVar

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from .images import image_url
from .models import (
    AttributeDefinition,
    Brand,
    Category,
    FooterPage,
    Product,
    ProductImage,
    Review,
    ShopSettings,
    Vendor,
)
from .product_io import AdminProductResource, result_problems
from .services import refresh_rating

MANAGE_ALL_PRODUCTS = "store.manage_all_products"


def sees_all_products(request: HttpRequest) -> bool:
    """Superusers and holders of manage_all_products work on every vendor's products."""
    return request.user.has_perm(MANAGE_ALL_PRODUCTS)


def own_vendor_ids(request: HttpRequest) -> frozenset[int]:
    """The ids of the request user's vendors, read once per request."""
    if not hasattr(request, "_own_vendor_ids"):
        request._own_vendor_ids = frozenset(request.user.vendors.values_list("pk", flat=True))
    return request._own_vendor_ids


def may_touch_product(request: HttpRequest, product: Product | None) -> bool:
    """Object-level check: ``None`` means "some product", which the model permission decides."""
    if product is None or sees_all_products(request):
        return True
    return product.vendor_id in own_vendor_ids(request)


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """The admin's "view on site" redirect (``<ADMIN_URL>r/<ct>/<id>/``, routed in
    config/urls.py ahead of the admin's own), for objects the user may see in the admin.

    Django's shortcut answers for any object of any model to any staff user, which
    handed a vendor the page address of another vendor's hidden product. Here the
    object must be in its ModelAdmin's queryset (a vendor's own products only) and
    viewable by the user; anything else is a 404, as if it did not exist."""
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404("No such content type.") from None
    if model is None or not admin.site.is_registered(model):
        raise Http404("Nothing to view on the site.")
    model_admin = admin.site.get_model_admin(model)
    try:
        obj = model_admin.get_queryset(request).filter(pk=object_id).first()
    except (ValueError, ValidationError):  # an id of the wrong type
        obj = None
    if obj is None or not model_admin.has_view_or_change_permission(request, obj):
        raise Http404("No such object.")
    return shortcut(request, content_type_id, object_id)


# --- Users --------------------------------------------------------------------

User = get_user_model()


class AccountAdmin(UserAdmin):
    """Only a superuser makes, unmakes or edits a superuser. The administrator role
    manages accounts (staff flag, groups), but ``is_superuser`` is read-only to it and a
    superuser's account is view-only to it (its password or e-mail would be a way in)."""

    def get_readonly_fields(self, request: HttpRequest, obj: AbstractBaseUser | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else (*fields, "is_superuser")

    def _guards_a_superuser(self, request: HttpRequest, obj: AbstractBaseUser | None) -> bool:
        return obj is not None and getattr(obj, "is_superuser", False) and not request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: AbstractBaseUser | None = None) -> bool:
        return super().has_change_permission(request, obj) and not self._guards_a_superuser(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: AbstractBaseUser | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._guards_a_superuser(request, obj)

    def save_model(self, request: HttpRequest, obj: AbstractBaseUser, form: ModelForm, change: bool) -> None:
        if not request.user.is_superuser:
            # The form leaves the field out; this holds even for a forged POST or a custom form.
            stored = User.objects.filter(pk=obj.pk, is_superuser=True).exists() if obj.pk else False
            if getattr(obj, "is_superuser", False) != stored:
                raise PermissionDenied("Only a superuser can grant or revoke superuser status.")
        super().save_model(request, obj, form, change)


admin.site.unregister(User)
admin.site.register(User, AccountAdmin)


# --- Catalog structure --------------------------------------------------------


class CategoryForm(MoveNodeForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        slug = cleaned.get("slug")
        position = cleaned.get("treebeard_position") or ""
        if slug:
            # slug_path is unique but not editable, so ModelForm never validates it:
            # compute where the node will land and report a clash instead of an IntegrityError.
            ref = cleaned.get("treebeard_ref_node")
            parent = (
                ref if position.endswith("child") else (Category.objects.get_parent(ref) if ref else None)
            )
            slug_path = f"{parent.slug_path}/{slug}" if parent else slug
            clash = Category.objects.filter(slug_path=slug_path)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("slug", f"The category path “{slug_path}” is already taken.")
        return cleaned


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category, form=CategoryForm)
    list_display = ("name", "slug_path")
    search_fields = ("name", "slug_path")
    prepopulated_fields: ClassVar[dict[str, tuple[str, ...]]] = {"slug": ("name",)}
    ordering = ("path",)  # tree order; also required by the autocomplete of products


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields: ClassVar[dict[str, tuple[str, ...]]] = {"slug": ("name",)}


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields: ClassVar[dict[str, tuple[str, ...]]] = {"slug": ("name",)}
    filter_horizontal = ("users",)


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(admin.ModelAdmin):
    list_display = ("label", "code", "kind", "searchable", "category")
    list_filter = ("kind", "searchable")
    list_select_related = ("category",)
    search_fields = ("code", "label", "category__slug_path")
    autocomplete_fields = ("category",)


# --- Products -----------------------------------------------------------------


class ProductImageInline(admin.TabularInline):
    # Inline only (not registered on its own): an image is reachable only through a
    # product, whose admin already applies the vendor isolation.
    model = ProductImage
    fields = ("preview", "image", "url", "alt", "position")
    readonly_fields = ("preview",)
    extra = 1

    @admin.display(description="Preview")
    def preview(self, image: ProductImage) -> str:
        return format_html('<img src="{}" alt="" width="80" height="80">', image_url(image.source, 160)) \
            if image.pk else "–"


@admin.register(Product)
class ProductAdmin(ImportExportMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "sku",
        "brand",
        "category",
        "price",
        "stock_quantity",
        "is_active",
        "vendor",
        "rating",
    )
    list_filter = (
        "is_active",
        # RelatedOnly: the choices come from get_queryset, so a vendor's filter
        # sidebar does not list the other vendors (nor their brands and categories).
        ("vendor", admin.RelatedOnlyFieldListFilter),
        ("brand", admin.RelatedOnlyFieldListFilter),
        ("category", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "sku")
    list_select_related = ("brand", "category", "vendor")
    autocomplete_fields = ("brand", "category")
    prepopulated_fields: ClassVar[dict[str, tuple[str, ...]]] = {"slug": ("name",)}
    # Kept by refresh_rating and by checkout; an edit here would be overwritten or wrong.
    readonly_fields = ("rating_average", "rating_count", "sales_count")
    inlines = (ProductImageInline,)
    actions = ("activate", "deactivate")
    show_full_result_count = False  # spares a COUNT(*) over the whole catalog per page view
    # Import (a dry run first, showing each row's change, then the confirmed import) and
    # export, CSV or XLSX, by store.product_io; a vendor's own products only.
    resource_classes = [AdminProductResource]
    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]

    def get_resource_kwargs(self, request: HttpRequest, *args, **kwargs) -> dict:
        return {"vendor_ids": None if sees_all_products(request) else own_vendor_ids(request)}

    def get_import_data_kwargs(self, **kwargs) -> dict:
        # One refused row rolls the whole file back, at the confirmed import as in the dry run.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def process_result(self, result, request: HttpRequest):
        problems = result_problems(result)
        if not problems:
            return super().process_result(result, request)
        # The catalog changed between the dry run and the confirmation: nothing was imported.
        for problem in problems[:20]:
            self.message_user(request, problem, messages.ERROR)
        self.message_user(request, "Nothing was imported.", messages.ERROR)
        return redirect("admin:store_product_changelist")

    @admin.display(description="Rating", ordering="rating_average")
    def rating(self, product: Product) -> str:
        return f"{product.rating_average} ({product.rating_count})" if product.rating_count else "–"

    # Isolation: everything below funnels through get_queryset or may_touch_product.

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        queryset = super().get_queryset(request)
        if sees_all_products(request):
            return queryset
        # Changelist, change/delete/history views (get_object), actions and the
        # autocomplete/raw-id lookups all start from this queryset.
        return queryset.filter(vendor__in=own_vendor_ids(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A vendor user not attached to any vendor would have nobody to sell for.
        return super().has_add_permission(request) and (
            sees_all_products(request) or bool(own_vendor_ids(request))
        )

    def has_view_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return super().has_view_permission(request, obj) and may_touch_product(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return super().has_change_permission(request, obj) and may_touch_product(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return super().has_delete_permission(request, obj) and may_touch_product(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if not sees_all_products(request) and len(own_vendor_ids(request)) == 1:
            fields += ("vendor",)  # nothing to choose: save_model sets it
        return fields

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "vendor" and not sees_all_products(request):
            kwargs["queryset"] = Vendor.objects.filter(pk__in=own_vendor_ids(request))
            kwargs["required"] = True  # a vendor's product always belongs to one of its vendors
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Product, form: ModelForm, change: bool) -> None:
        if not sees_all_products(request):
            vendor_ids = own_vendor_ids(request)
            # The form already limits the choice; this holds even for a forged POST.
            if obj.vendor_id not in vendor_ids:
                if len(vendor_ids) != 1:
                    raise PermissionDenied
                obj.vendor_id = next(iter(vendor_ids))
        super().save_model(request, obj, form, change)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Product], active: bool) -> None:
        # ProductQuerySet.update() writes the outbox rows; skip rows already in that state.
        count = queryset.exclude(is_active=active).update(is_active=active)
        state = "activated" if active else "deactivated"
        self.message_user(request, f"{count} product(s) {state}.", messages.SUCCESS)

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, False)


# --- Reviews ------------------------------------------------------------------


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("title", "product", "author", "rating", "status", "created_at")
    list_filter = ("status", "rating")
    list_select_related = ("product", "author")
    search_fields = ("title", "body", "product__name", "product__sku", "author__username")
    raw_id_fields = ("product", "author")
    date_hierarchy = "created_at"
    actions = ("approve", "reject")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        queryset = super().get_queryset(request)
        if sees_all_products(request):
            return queryset
        # Vendors read the reviews of their own products only.
        return queryset.filter(product__vendor__in=own_vendor_ids(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Review | None = None) -> tuple[str, ...]:
        if obj is None:
            return tuple(super().get_readonly_fields(request, obj))
        # Moderation decides the status; the customer's words and rating stay theirs.
        return ("product", "author", "rating", "title", "body", "created_at")

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Review], status: str) -> None:
        with transaction.atomic():
            changing = queryset.exclude(status=status)
            product_ids = set(changing.values_list("product_id", flat=True))
            count = changing.update(status=status)
            # QuerySet.update() sends no post_save, so the rating signal does not run:
            # refresh each affected product once here.
            for product_id in product_ids:
                refresh_rating(product_id)
        self.message_user(request, f"{count} review(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Approve selected reviews", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._moderate(request, queryset, Review.Status.APPROVED)

    @admin.action(description="Reject selected reviews", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._moderate(request, queryset, Review.Status.REJECTED)


# --- The shop's identity --------------------------------------------------------


@admin.register(ShopSettings)
class ShopSettingsAdmin(admin.ModelAdmin):
    """One row: the list leads straight to it; it is never added twice nor deleted."""

    list_display = ("name", "tagline")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not ShopSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: ShopSettings | None = None) -> bool:
        return False


@admin.register(FooterPage)
class FooterPageAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "position", "is_published")
    list_editable = ("position", "is_published")
    prepopulated_fields: ClassVar[dict[str, tuple[str, ...]]] = {"slug": ("title",)}
