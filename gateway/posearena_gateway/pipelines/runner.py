"""Run a comparison: detections -> 3D pipelines and reference -> metrics, all concurrently.

Inputs: a `CompareJob`. Outputs (in the run directory, each written as soon as it exists):
detections, 3D poses of each pipeline and of the reference, `metrics.json`. One pipeline
failing, or its service being NOT_SERVING, never sinks the run: it is reported `failed` or
`skipped` with the reason, and every other result stands.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import grpc

from posearena.npzio import Detections
from posearena.triangulation_presets import PRESETS
from posearena_gateway.comparison import compare_sequences
from posearena_gateway.comparison.pairwise import pairwise_differences
from posearena_gateway.comparison.reprojection import cross_view_reprojection
from posearena_gateway.events import Event, EventSink, ignore
from posearena_gateway.pipelines.catalog import PipelineSpec
from posearena_gateway.pipelines.inputs import CompareInputs, check_inputs, unmet_requirement
from posearena_gateway.pipelines.job import DETECT_WORKERS, CompareJob
from posearena_gateway.pipelines.metrics_doc import Outcome, metrics_document
from posearena_gateway.pipelines.names import needed_services
from posearena_gateway.pipelines.stage_kinds import StageContext
from posearena_gateway.pipelines.stages import detect_stage, triangulate_stage
from posearena_gateway.references.sequence import Sequence3D
from posearena_gateway.result import RunResult
from posearena_gateway.rundir import RunDir
from posearena_gateway.runtime import EmbeddedServices, probe


class RunAbortedError(Exception):
    """Raised inside work still running when the run was interrupted."""


class Runner:
    """Executes a CompareJob; see the module docstring."""

    def __init__(self, job: CompareJob, sink: EventSink = ignore) -> None:
        self.job = job
        self.sink = sink
        self.rd = RunDir(job.out)  # an unwritable output fails here, before any work
        self.inputs: CompareInputs = check_inputs(job.videos, job.calib, job.cameras)
        self.outcomes: dict[str, Outcome] = {p.name: Outcome() for p in job.pipelines}
        self.reference = Outcome()
        self.pairwise: list[dict] = []
        self.pairwise_error = ""
        self._dets: dict[tuple[str, int], Future] = {}
        self._lock = threading.Lock()
        self._abort = threading.Event()  # set when the run is interrupted

    # -- services -------------------------------------------------------------------
    def _needed_services(self) -> list[str]:
        reference = self.job.reference if isinstance(self.job.reference, str) else "recorded"
        return needed_services([p.name for p in self.job.pipelines], reference,
                               self.job.reference_detector)

    def _service_problem(self, es: EmbeddedServices, name: str) -> str | None:
        if name in es.errors:
            return f"{name} service could not start: {es.errors[name].splitlines()[0]}"
        target = es.target(name)
        if target is None:
            return f"{name} service is not available in this installation"
        p = probe(target)
        if not p.reachable or not p.serving:
            return f"{name} service {p.status_line}"
        return None

    # -- detections -----------------------------------------------------------------
    def _detections(self, pool: ThreadPoolExecutor, es: EmbeddedServices, det: str,
                    vi: int) -> Future:
        with self._lock:
            key = (det, vi)
            if key not in self._dets:
                self._dets[key] = pool.submit(self._detect, es.target(det), det, vi)
            return self._dets[key]

    def _detect(self, target: str, det: str, vi: int) -> Detections:
        cam = self.inputs.camera_ids[vi]
        item = f"{det} {cam}"
        self.sink(Event("detect", item, "started"))
        total = self.inputs.frames

        def progress(done: int, _total: int) -> None:
            if self._abort.is_set():  # ends the stream (a service this run did not start)
                raise RunAbortedError(f"{item}: the run was interrupted")
            if done % 10 == 0 or done == total:
                self.sink(Event("detect", item, "progress", fraction=done / max(total, 1),
                                done=done, total=total))

        dets, cached = detect_stage(target, str(self.inputs.videos[vi].path), cam, det,
                                    self.rd, self.job.resume, progress, self.job.max_people)
        self.sink(Event("detect", item, "cached" if cached else "ok",
                        f"{dets.num_frames} frames"))
        return dets

    # -- 3D -------------------------------------------------------------------------
    def _pipeline_3d(self, pool: ThreadPoolExecutor, es: EmbeddedServices,
                     spec: PipelineSpec) -> Sequence3D:
        n = spec.stage.views(len(self.inputs.videos))
        futures = [self._detections(pool, es, spec.detector, i) for i in range(n)]  # all at once
        dets = [f.result() for f in futures]
        ctx = StageContext(es.target, self.inputs.cameras, self.job.person)
        return spec.stage.run(ctx, [_trim(d, self.inputs.frames) for d in dets], spec.name)

    def _run_pipeline(self, pool: ThreadPoolExecutor, es: EmbeddedServices,
                      spec: PipelineSpec) -> None:
        out = self.outcomes[spec.name]
        why = unmet_requirement(spec, self.inputs)
        cached = self.rd.load_sequence(spec.name) if self.job.resume and not why else None
        if cached is not None:  # a finished result needs no service
            out.result, out.status = cached, "ok"
            self.sink(Event("pipeline", spec.name, "cached", cached.frame))
            return
        why = why or next(
            (p for p in (self._service_problem(es, s) for s in spec.services) if p), None)
        if why:
            out.status, out.reason = "skipped", why
            self.sink(Event("pipeline", spec.name, "skipped", why))
            return
        self.sink(Event("pipeline", spec.name, "started"))
        try:
            seq = self._pipeline_3d(pool, es, spec)
            self.rd.save_sequence(spec.name, seq)
            out.result, out.status = seq, "ok"
            self.sink(Event("pipeline", spec.name, "ok", seq.frame))
        except grpc.RpcError as exc:
            out.status, out.reason = "failed", f"{exc.code().name}: {exc.details()}"
        except Exception as exc:  # one pipeline's failure is reported, never fatal
            out.status, out.reason = "failed", f"{type(exc).__name__}: {exc}"
        if out.status == "failed":
            self.sink(Event("pipeline", spec.name, "failed", out.reason))

    def _run_reference(self, pool: ThreadPoolExecutor, es: EmbeddedServices) -> None:
        ref = self.job.reference
        if isinstance(ref, Sequence3D):
            self.reference.result, self.reference.status = ref, "ok"
            return
        if ref == "none":
            self.reference.status, self.reference.reason = "skipped", "no reference requested"
            return
        why = (None if self.inputs.cameras and len(self.inputs.videos) >= 2
               else "multiview reference needs >= 2 calibrated videos")
        det = self.job.reference_detector
        cached = self.rd.load_sequence("reference") if self.job.resume and not why else None
        if cached is not None and cached.extra.get("reference_detector") == det:
            # a finished reference of the same 2D needs no service
            self.reference.result, self.reference.status = cached, "ok"
            self.sink(Event("reference", "multiview", "cached", cached.frame))
            return
        why = why or self._service_problem(es, det) or self._service_problem(es, "stereo")
        if why:
            self.reference.status, self.reference.reason = "skipped", why
            self.sink(Event("reference", "multiview", "skipped", why))
            return
        self.sink(Event("reference", "multiview", "started"))
        try:
            n = len(self.inputs.videos)
            futures = [self._detections(pool, es, det, i) for i in range(n)]  # all at once
            dets = [_trim(f.result(), self.inputs.frames) for f in futures]
            seq, _ = triangulate_stage(es.target("stereo"), dets, self.inputs.cameras,
                                         "multiview reference", person=self.job.person,
                                         options=PRESETS["reference"].options(
                                             self.inputs.fps))
            seq.extra["reference_detector"] = det  # a resumed run with another 2D redoes it
            self.rd.save_sequence("reference", seq)
            self.reference.result, self.reference.status = seq, "ok"
            self.sink(Event("reference", "multiview", "ok", f"{n} cameras"))
        except Exception as exc:
            self.reference.status, self.reference.reason = "failed", f"{type(exc).__name__}: {exc}"
            self.sink(Event("reference", "multiview", "failed", self.reference.reason))

    # -- all ------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Run everything; return what it produced (written by `outputs.write_outputs`)."""
        for note in self.inputs.notes:
            self.sink(Event("inputs", "videos", "ok", note))
        self.sink(Event("services", "embedded", "started"))
        # Detections get their own pool: pipeline threads wait on them, never the reverse.
        n_jobs = len(self.job.pipelines) + 1
        with (EmbeddedServices(self._needed_services()) as es,
              ThreadPoolExecutor(DETECT_WORKERS, thread_name_prefix="detect") as pool,
              ThreadPoolExecutor(n_jobs, thread_name_prefix="pipeline") as jobs_pool):
            self.sink(Event("services", "embedded", "ok", ", ".join(sorted(es.targets))))
            jobs = [jobs_pool.submit(self._run_reference, pool, es)]
            jobs += [jobs_pool.submit(self._run_pipeline, pool, es, p)
                     for p in self.job.pipelines]
            try:
                for j in jobs:
                    j.result()
            except BaseException:  # Ctrl-C: end the work in flight now (saved results stay)
                self._abort.set()
                for executor in (pool, jobs_pool):
                    executor.shutdown(wait=False, cancel_futures=True)
                es.__exit__()  # services this run started stop: their calls end at once
                raise
            self._reproject_all(pool, es)
        self._compare_all()
        return self.result()

    def detections_done(self) -> dict[str, tuple[str, Detections]]:
        """Every 2D detection set computed, as {"<detector> <camera>": (video path, dets)}."""
        out = {}
        for (det, vi), fut in sorted(self._dets.items()):
            if fut.done() and fut.exception() is None:
                out[f"{det} {self.inputs.camera_ids[vi]}"] = (
                    str(self.inputs.videos[vi].path), fut.result())
        return out

    def _reproject_all(self, pool: ThreadPoolExecutor, es: EmbeddedServices) -> None:
        """Cross-view reprojection error of every world-frame 3D pipeline (stereo, multiview)
        in every calibrated camera, held-out views included (needs no reference)."""
        cams = self.inputs.cameras
        if not cams or len(cams) < 2:
            return
        for spec in self.job.pipelines:
            out = self.outcomes[spec.name]
            if out.status != "ok" or not spec.stage.world_frame:
                continue
            used = self.inputs.camera_ids[:spec.stage.views(len(self.inputs.videos))]
            dets = []
            for i in range(len(cams)):
                fut = self._detections(pool, es, spec.detector, i)
                dets.append(None if fut.exception() else _trim(fut.result(), self.inputs.frames))
            try:
                rep = cross_view_reprojection(out.result.points, out.result.skeleton, cams, dets,
                                              used)
            except Exception as exc:  # a metric never sinks its pipeline
                out.extra["reprojection"] = {"error": f"{type(exc).__name__}: {exc}"}
                continue
            out.extra["reprojection"] = rep
            held = rep["held_out_median_px"]
            self.sink(Event("reprojection", spec.name, "ok",
                            f"median {rep['used_median_px']} px in its views"
                            + (f", {held} px in held-out views" if held is not None else "")))

    def _compare_all(self) -> None:
        ref = self.reference.result
        synchronised = self.job.reference == "multiview"
        for name, out in self.outcomes.items():
            if out.status != "ok" or ref is None:
                continue
            try:
                same = out.result.frame == ref.frame
                out.comparison = compare_sequences(ref, out.result, synchronised, same,
                                                   self.job.big_error_deg)
                self.sink(Event("compare", name, "ok",
                                f"MPJPE {out.comparison.metrics['mpjpe_mm']} mm"))
            except Exception as exc:
                out.status, out.reason = "failed", f"comparison: {type(exc).__name__}: {exc}"
                self.sink(Event("compare", name, "failed", out.reason))
        compared = {n: o.comparison for n, o in self.outcomes.items() if o.comparison}
        try:
            self.pairwise = pairwise_differences(compared)
        except Exception as exc:  # a metric never sinks the run
            self.pairwise_error = f"{type(exc).__name__}: {exc}"
        for p in self.pairwise:
            m = p["mpjpe_mm"]
            self.sink(Event("pairwise", f"{p['a']} vs {p['b']}", "ok",
                            f"MPJPE difference {m['difference']} mm {m['ci95']}: {m['verdict']}"))

    def result(self) -> RunResult:
        """What the run produced: metrics.json's document (`metrics_doc.metrics_document`),
        every comparison, 3D result, the reference and the detections for overlays."""
        kind = self.job.reference if isinstance(self.job.reference, str) else "file"
        metrics = metrics_document(kind, self.reference, self.outcomes, self.inputs,
                                   self.pairwise, self.job.reference_detector,
                                   self.pairwise_error)
        return RunResult(
            metrics,
            comparisons={n: o.comparison for n, o in self.outcomes.items() if o.comparison},
            results={n: o.result for n, o in self.outcomes.items() if o.result is not None},
            reference=self.reference.result, videos=self.detections_done(),
            title=self.job.title)


def _trim(d: Detections, frames: int) -> Detections:
    if d.num_frames <= frames:
        return d
    return Detections(d.keypoints[:frames], d.scores[:frames], d.person_scores[:frames],
                      d.skeleton, d.fps, d.width, d.height, d.track_ids,
                      {k: v[:frames] for k, v in d.extra.items()})
