"""Phase 2 of the prover: the finished float tree replayed through the ProofLog, where the
checker's Session checks every step exactly before it is written.

The replay only replays: a close the Session rejects ends `replay` with a request (`Again`) for
the search (phase 1), whose new subtree the caller puts back on the stack (prover/verify.py).
"""
from __future__ import annotations

from .proof import ProofLog
from .problem import DisjunctData
from .tree import Again, Clock, Node, Stats, subtree_size


class Emitter:
    def __init__(self, log: ProofLog, clock: Clock, stats: Stats):
        self.log, self.clock, self.stats = log, clock, stats

    def root(self, group: list[DisjunctData], root: Node) -> None:
        root.id = self.log.root([d.index for d in group])

    def shared_root(self, closing: list[tuple[DisjunctData, Node]],
                    below: tuple[DisjunctData, Node] | None) -> tuple[int, list[DisjunctData]]:
        """One root (spec 4.1) for ReLU-split trees of disjuncts that share a box (prover/verify.py `_plan`): the
        root's `bounds N layer K` steps, the costliest steps of such proofs, are replayed once, not once per
        disjunct. The trees that close at their root close here, first those whose hints were found on the
        root's interval bounds, then, after the steps, those found on the tightened ones; the one tree `below`
        (if any) continues from this root, steps done. Returns the root's id and the disjuncts whose close the
        Session rejected (still open on the root)."""
        node = self.log.root([d.index for d, _ in closing + ([below] if below else [])])
        stepped, rejected = False, []  # the root's layer steps (the same in every tree: one box), once
        for d, t in sorted(closing, key=lambda m: m[1].layer_steps is not None):
            if t.layer_steps and not stepped:
                t.id, stepped = node, True
                self._bounds(t)
            if self.log.close_linear(node, d.index, t.hints[d.index]):
                self.stats.closed += 1
            else:
                self.stats.rejected += 1
                rejected.append(d)
        if below:
            below[1].id = node
            if below[1].layer_steps and not stepped:
                self._bounds(below[1])
            below[1].layer_steps = None
        return node, rejected

    def replay(self, group: list[DisjunctData], stack: list[Node]) -> Again | None:
        """Replay the nodes on `stack` (the last first) and their subtrees, depth first (the
        kernel's open set stays small), until the stack is empty (None) or the Session rejects a
        close: then the request to search that node again (the rest stays on the stack)."""
        while stack:
            n = stack.pop()
            self.clock.tick(self.stats, len(stack))
            self._bounds(n)
            if n.hints is not None:
                if not self._closes(group, n):
                    self.stats.rejected += 1  # the disjuncts still open on the node are searched again
                    return Again(n.id, self.log.session.open.get(n.id))
                self.stats.closed += 1
            else:
                stack.extend(reversed(self._split(n)))  # first child replayed first
        return None

    def frontier(self, root: Node, want: int) -> list[Node]:
        """Replay the top of the tree, largest subtree first, until `want` subtrees are open
        (for parallel replay). Only splits are replayed here: a leaf's subtree has size 1."""
        frontier = [root]
        while len(frontier) < want:
            big = max(frontier, key=subtree_size)
            if subtree_size(big) == 1:
                break
            frontier.remove(big)
            self._bounds(big)
            frontier.extend(self._split(big))
        return frontier

    def _bounds(self, n: Node) -> None:
        if n.method is not None:
            self.log.bounds(n.id, n.method)
            self.stats.bounds_steps[n.method] += 1
        for K, steps in (n.layer_steps or {}).items():
            for neurons, hints in steps:
                self.log.bounds_layer(n.id, K, hints, neurons)
                self.stats.bounds_steps["layer"] += 1

    def _closes(self, group: list[DisjunctData], n: Node) -> bool:
        """One close per open disjunct, named when the root is shared; False at the first the
        Session rejects (the ones before it stay closed)."""
        named = len(group) > 1
        return all(self.log.close_linear(n.id, d if named else None, h) for d, h in n.hints.items())

    def _split(self, n: Node) -> list[Node]:
        kind, a, b = n.split
        ids = self.log.split_input(n.id, a, b) if kind == "input" else self.log.split_relu(n.id, a, b)
        for child, cid in zip(n.children, ids):
            child.id = cid
        children, n.children = n.children, None
        return children
