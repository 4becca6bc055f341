"""The caller's company: `/api/companies` (another company's id is 404)."""
from __future__ import annotations

from flask import jsonify

from hub import company_admin
from hub.models import Company
from schemas.companies import CompanySchema, CompanySettingsSchema, CompanyUpdateSchema
from web.api.blueprint import bp
from web.auth import current_principal, roles
from web.loading import load_json
from web.openapi import doc


@bp.get("/companies")
@doc(summary="Companies the caller sees: their own", tags=("companies",),
     response=CompanySchema(many=True))
def list_companies():
    company = Company.get_by_id(current_principal().company_id)
    return jsonify(CompanySchema(many=True).dump([company_admin.company_view(company)]))


@bp.get("/companies/<company_id>")
@doc(summary="The caller's company", tags=("companies",), response=CompanySchema,
     errors=(404,))
def get_company(company_id: str):
    company = company_admin.get_company(current_principal(), company_id)
    return jsonify(CompanySchema().dump(company_admin.company_view(company)))


@bp.put("/companies/<company_id>")
@doc(summary="Edit the company's name, industry and size (admin)", tags=("companies",),
     body=CompanyUpdateSchema, response=CompanySchema, errors=(403, 404))
@roles("admin")
def update_company(company_id: str):
    body = load_json(CompanyUpdateSchema())
    company = company_admin.update_company(current_principal(), company_id, body)
    return jsonify(CompanySchema().dump(company_admin.company_view(company)))


@bp.put("/companies/<company_id>/settings")
@doc(summary="Change the company's settings (admin; parts given are merged)",
     tags=("companies",), body=CompanySettingsSchema, response=CompanySchema, errors=(403, 404))
@roles("admin")
def update_company_settings(company_id: str):
    body = load_json(CompanySettingsSchema())
    company = company_admin.update_settings(current_principal(), company_id, body)
    return jsonify(CompanySchema().dump(company_admin.company_view(company)))
