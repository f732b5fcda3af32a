"""Control families: sequence-detector FSM, round-robin arbiter, edge detector."""

from __future__ import annotations

from backends.verilog.design import Family, VerilogDesign
from backends.verilog.families._common import (
    Params,
    clocked,
    code,
    counted,
    design,
    grid,
    index_bits,
    lit,
    ports,
    vec,
)

# Every pattern overlaps itself (has a non-empty border), so "overlap" always changes the behaviour.
SEQ_PATTERNS = ("101", "111", "1011", "1101", "1001", "0110", "1010", "11011", "10010", "100101")


def _matched(pattern: str, history: str, limit: int) -> int:
    """Length of the longest prefix of `pattern` (at most `limit`) that `history` ends with."""
    return max(k for k in range(limit + 1) if history.endswith(pattern[:k]))


def build_seq_detector(pattern: str, overlap: str, sampling: str) -> VerilogDesign:
    """Moore serial pattern detector; the state is the length of the pattern prefix matched so far.

    Transitions are derived KMP-style from the pattern, giving the minimal FSM: states 0..L, where L
    means a complete match was just seen. A Mealy output is avoided on purpose: the testbench samples
    outputs after the clock edge has consumed the input, where a Mealy output carries no information.
    """
    size = len(pattern)
    border = _matched(pattern, pattern, size - 1) if overlap == "yes" else 0
    sw = index_bits(size + 1)
    items = []
    for s in range(size + 1):
        history = pattern[:border] if s == size else pattern[:s]  # after a match, keep only the border
        nxt = [f"S{_matched(pattern, history + bit, size)}" for bit in "01"]
        items.append(f"S{s}: next_state = din ? {nxt[1]} : {nxt[0]};")
    names = ", ".join(f"S{s} = {lit(sw, s)}" for s in range(size + 1))
    gated = sampling == "enable"
    accept = "rising edge of clk where en is 1 (other edges leave the detector unchanged)" if gated else \
        "rising edge of clk"
    rule = ("Occurrences may overlap: the trailing bits of one occurrence can begin the next one"
            if overlap == "yes" else
            "Occurrences do not overlap: after an occurrence is detected, its bits are not reused and "
            "matching restarts with the next accepted bit")
    once = "" if gated else " (so for exactly one cycle)"
    spec = f"""
        Module `seq_detector` watches the serial input din, which is accepted at every {accept}, for
        the bit pattern {pattern} (the leftmost bit arrives first). detected is a Moore output, a
        function of the registered state only: it becomes 1 right after the edge that accepts the last
        bit of an occurrence of {pattern} and stays 1 until the next edge that accepts a bit{once},
        otherwise it is 0. {rule}. The synchronous
        active-high rst clears the history (detected becomes 0): bits at edges where rst is high are
        discarded and matching starts afresh with the next accepted bit.
    """
    body = code(f"""
        localparam [{sw - 1}:0] {names};

        reg {vec(sw)}state;
        reg {vec(sw)}next_state;

        always @(*) begin
            case (state)
    """) + code("\n".join(items), 3) + code(f"""
                default: next_state = S0;
            endcase
        end

        always @(posedge clk) begin
            if (rst)
                state <= S0;
            else{" if (en)" if gated else ""}
                state <= next_state;
        end

        assign detected = (state == S{size});
    """)
    port_list = ports({"en": 1, "din": 1} if gated else {"din": 1}, {"detected": 1}, clocked=True)
    params: Params = {"pattern": pattern, "overlap": overlap, "sampling": sampling}
    return design("seq_detector", params, spec, port_list, body, stimulus={"en": 0.75} if gated else None)


def build_rr_arbiter(n: int, policy: str, index: str) -> VerilogDesign:
    """Round-robin arbiter with registered grant; "hold" lets the owner keep the grant while requesting.

    The grant is registered: the testbench samples outputs after the edge has consumed req, so a
    combinational grant would only ever be seen against the already-updated pointer.
    """
    iw = index_bits(n)
    hold, with_index = policy == "hold", index == "yes"
    search = [f"grant = {lit(n, 0)};", "pick = last;", "found = held & req[last];" if hold else "found = 1'b0;"]
    for k in range(1, n + 1):
        search += [
            f"idx = {{1'b0, last}} + {lit(iw + 1, k)};",
            f"if (idx >= {lit(iw + 1, n)}) idx = idx - {lit(iw + 1, n)};",
            f"if (!found && req[idx[{iw - 1}:0]]) begin found = 1'b1; pick = idx[{iw - 1}:0]; end",
        ]
    search.append("if (found) grant[pick] = 1'b1;")
    resets = [f"last <= {lit(iw, n - 1)};", f"gnt <= {lit(n, 0)};"]
    updates = ["if (found) last <= pick;", "gnt <= grant;"]
    if hold:
        resets.append("held <= 1'b0;")
        updates.append("held <= found;")
    if with_index:
        resets += [f"gnt_id <= {lit(iw, 0)};", "gnt_valid <= 1'b0;"]
        updates += [f"gnt_id <= found ? pick : {lit(iw, 0)};", "gnt_valid <= found;"]
    hold_spec = (" If the requester granted by the previous decision (index last) still requests, it "
                 "keeps the grant; otherwise the decision" if hold else " Each decision")
    index_spec = (f" Registered outputs gnt_id ({counted(iw, 'bit')}) and gnt_valid are updated together with gnt: "
                  f"gnt_valid is 1 when a grant was made and gnt_id is the granted index (0 when none); "
                  f"rst clears both." if with_index else "")
    held_spec = " and a flag recording whether the previous decision granted anyone" if hold else ""
    spec = f"""
        Module `rr_arbiter` arbitrates among {n} requesters req[{n - 1}:0] with a registered one-hot
        grant gnt ({n} bits). It keeps a register last, the index of the most recently granted
        requester; the synchronous active-high rst sets last to {n - 1} (so req[0] has the highest
        priority after reset) and clears gnt{held_spec}. At each rising edge not in reset, a decision is made from the
        current req.{hold_spec} searches req[last+1], req[last+2], ... cyclically modulo {n} up to
        req[last] itself and grants the first one that is set. gnt is loaded with the one-hot decision
        (all zero when no request is set), and last becomes the granted index (unchanged when nobody is
        granted).{index_spec}
    """
    body = code(f"""
        reg {vec(iw)}last;
        {"reg held;" if hold else ""}
        reg [{n - 1}:0] grant;
        reg {vec(iw)}pick;
        reg [{iw}:0] idx;
        reg found;

        always @(*) begin
    """) + code("\n".join(search), 2) + code("end") + "\n" + clocked(resets, updates)
    outputs = {"gnt": n} | ({"gnt_id": iw, "gnt_valid": 1} if with_index else {})
    port_list = ports({"req": n}, outputs, clocked=True)
    params: Params = {"n": n, "policy": policy, "index": index}
    return design("rr_arbiter", params, spec, port_list, body, regs=outputs.keys())


def build_edge_detector(channels: int, edge: str, stages: int, output: str) -> VerilogDesign:
    """Per-bit edge detector behind a `stages`-deep synchronizer; pulse combinational or registered.

    Detection compares two registers (last synchronizer stage and its previous value), so even the
    combinational pulse depends on state only, which is what the testbench can observe.
    """
    last = f"sync{stages - 1}"
    expr = {"rise": f"{last} & ~prev", "fall": f"~{last} & prev", "both": f"{last} ^ prev"}[edge]
    what = {"rise": "s is 1 and prev is 0", "fall": "s is 0 and prev is 1", "both": "s differs from prev"}[edge]
    registered = output == "registered"
    names = {"rise": "rising", "fall": "falling", "both": "rising and falling"}
    if stages == 1:
        chain = "a synchronizer register sync0 that loads sig at every rising edge of clk; call it s"
    else:
        chain = (f"a synchronizer of {stages} register stages sync0 to sync{stages - 1}: at every rising edge "
                 f"of clk sync0 loads sig and each further stage loads the previous one; call the last stage s")
    timing = (f"pulse is a register, cleared by rst, that at every other rising edge loads, for each bit, "
              f"1 exactly when {what} just before that edge (else 0), so it lags that condition by one "
              "cycle."
              if registered else
              f"pulse is combinational: pulse[i] is 1 exactly when {what} for bit i.")
    spec = f"""
        Module `edge_detector` detects {names[edge]} edges independently on each bit of the
        {channels}-bit input sig. sig first passes through {chain}. A register prev
        loads s at every rising edge, so it holds the previous value of s. The synchronous active-high
        rst clears all these registers to 0 (so a 1 arriving after reset counts as a rising edge).
        {timing}
    """
    zero = lit(channels, 0)
    resets = [f"sync{k} <= {zero};" for k in range(stages)] + [f"prev <= {zero};"]
    updates = ["sync0 <= sig;"] + [f"sync{k} <= sync{k - 1};" for k in range(1, stages)] + [f"prev <= {last};"]
    if registered:
        resets.append(f"pulse <= {zero};")
        updates.append("pulse <= edges;")
    decls = [f"reg {vec(channels)}sync{k};" for k in range(stages)] + [f"reg {vec(channels)}prev;"]
    body = code("\n".join(decls)) + code(f"""
        wire {vec(channels)}edges = {expr};
        {"" if registered else "assign pulse = edges;"}
    """) + "\n" + clocked(resets, updates)
    port_list = ports({"sig": channels}, {"pulse": channels}, clocked=True)
    params: Params = {"channels": channels, "edge": edge, "stages": stages, "output": output}
    return design("edge_detector", params, spec, port_list, body, regs={"pulse"} if registered else ())


SEQ_DETECTOR = Family("seq_detector", grid(pattern=SEQ_PATTERNS, overlap=("yes", "no"), sampling=("always", "enable")),
                      build_seq_detector)
RR_ARBITER = Family("rr_arbiter", grid(n=(2, 3, 4, 5, 6, 8, 12, 16), policy=("plain", "hold"),
                                       index=("no", "yes")), build_rr_arbiter)
EDGE_DETECTOR = Family("edge_detector", grid(channels=(1, 2, 4, 8), edge=("rise", "fall", "both"), stages=(1, 2),
                                             output=("combinational", "registered")), build_edge_detector)
