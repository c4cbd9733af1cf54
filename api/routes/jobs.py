"""Jobs: state, stage, pages done, each document's outcome; cancel."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from api.auth import Principal, audit, scoped
from api.models import JobOut
from api.problems import not_found
from api.service import Service, service
from api.views import API, job_out

router = APIRouter(prefix=API, tags=["jobs"])


@router.get("/jobs", summary="This agency's jobs, newest first")
def list_jobs(limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0),
              who: Principal = Depends(scoped("dossiers:write")),
              svc: Service = Depends(service)) -> list[JobOut]:
    return [job_out(j) for j in svc.db.jobs.list(who.agency_code, limit, offset)]


@router.get("/jobs/{job_id}", summary="A job's state and its documents' outcomes")
def get_job(job_id: str, who: Principal = Depends(scoped("dossiers:write")),
            svc: Service = Depends(service)) -> JobOut:
    job = svc.db.jobs.get(job_id, who.agency_code)
    if job is None:
        raise not_found()
    return job_out(job)


@router.post("/jobs/{job_id}/cancel", status_code=202, summary="Cancel a job")
def cancel_job(job_id: str, request: Request, who: Principal = Depends(scoped("dossiers:write")),
               svc: Service = Depends(service)) -> JobOut:
    job = svc.db.jobs.request_cancel(job_id, who.agency_code)
    if job is None:
        raise not_found()
    audit(request, who, "job.cancel_requested", "job", job_id)
    return job_out(job)
