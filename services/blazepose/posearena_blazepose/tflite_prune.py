"""Drop the outputs of a .tflite model that nobody reads, and every operator only they need.

The wheel's `pose_landmark_full.tflite` also computes a 256x256 segmentation mask and 64x64x39
landmark heatmaps; the multi-person pipeline reads neither, yet the interpreter runs every
operator of the graph. Those branches are 79 of its 332 operators and 57 M of its 395 M
multiply-adds, but at high resolution: measured on this 2-core machine (one LiteRT thread,
best of 5 x 15 runs) 14.3 ms CPU per crop with them, 8.7 ms without, with bit-identical
landmarks, pose flag and world landmarks (tests/multiperson/test_landmark_model.py).

Only the graph's operator list and output list change; tensors and weight buffers are kept
as they are (unused ones cost nothing at run time). No gRPC here.
"""

from __future__ import annotations

from collections.abc import Sequence


def prune_outputs(model: bytes, keep: Sequence[str]) -> bytes:
    """A copy of a single-subgraph .tflite model computing only the named outputs.

    Args:
        model: the .tflite file bytes.
        keep: names of the output tensors to keep (e.g. "Identity"), in the order wanted.

    Returns:
        The .tflite bytes of the model whose outputs are `keep` and whose operators are those
        the kept outputs depend on (in their original order).

    Raises:
        ValueError: the model has several subgraphs, or a name is not one of its outputs.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    if len(m.subgraphs) != 1:
        raise ValueError(f"expected a model with one subgraph, got {len(m.subgraphs)}")
    graph = m.subgraphs[0]
    by_name = {graph.tensors[i].name.decode(): i for i in graph.outputs}
    missing = [name for name in keep if name not in by_name]
    if missing:
        raise ValueError(f"not outputs of the model: {missing} (outputs: {sorted(by_name)})")
    producer = {t: i for i, op in enumerate(graph.operators) for t in op.outputs}
    needed: set[int] = set()
    stack = [by_name[name] for name in keep]
    while stack:
        op_index = producer.get(stack.pop())
        if op_index is None or op_index in needed:
            continue  # a graph input, a constant, or an operator already visited
        needed.add(op_index)
        stack.extend(t for t in graph.operators[op_index].inputs if t >= 0)
    graph.operators = [op for i, op in enumerate(graph.operators) if i in needed]
    graph.outputs = [by_name[name] for name in keep]
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
