// Rising-edge detector for the quadrature inputs of an encoder interface.
// One output bit per input; a bit is high for one cycle after its input rose.
module edge_detect #(
    parameter W = 4
) (
    input  wire         clk_i,
    input  wire         rst_ni,
    input  wire [W-1:0] sig_i,
    output reg  [W-1:0] rise_o
);
    reg [W-1:0] prev_q;

    always @(posedge clk_i) begin
        if (!rst_ni) begin
            prev_q <= {W{1'b0}};
            rise_o <= {W{1'b0}};
        end else begin
            rise_o <= sig_i & ~prev_q;
            prev_q <= sig_i;
        end
    end
endmodule
