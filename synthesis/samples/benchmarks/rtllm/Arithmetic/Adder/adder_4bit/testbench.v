`timescale 1ns / 1ps

module testbench;

  reg [3:0] a;
  reg [3:0] b;
  reg cin;
  wire [3:0] sum;
  wire cout;
  integer i;
  integer error = 0;

  adder_4bit uut (
    .a(a),
    .b(b),
    .cin(cin),
    .sum(sum),
    .cout(cout)
  );

  initial begin
    for (i = 0; i < 100; i = i + 1) begin
      a = $random % 16;
      b = $random % 16;
      cin = $random % 2;
      #10;
      if ({cout, sum} !== a + b + cin) begin
        error = error + 1;
        $display("Test failed: a = %d, b = %d, cin = %d, sum = %d, cout = %d", a, b, cin, sum, cout);
      end
    end
    if (error == 0) begin
      $display("=========== Your Design Passed ===========");
    end
    else begin
      $display("=========== Test completed with %d /100 failures ===========", error);
    end
    $finish;
  end

endmodule
