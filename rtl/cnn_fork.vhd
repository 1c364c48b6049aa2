-- cnn_fork: one stream into two (the fork of a residual block): every input
-- beat goes to both outputs a and b, in order, each beat exactly once on each.
--
-- Each output is its own cnn_skid (output register + skid register), so the
-- two consumers are not in lock step: one may hold its beat (lag the other by
-- a beat) while the other takes the next one; the input is accepted when both
-- skid buffers can take a beat. A lag that lasts costs the input one cycle
-- per stalled cycle of the slower consumer, never a beat.
-- In a residual block the fork holds only these 2 beats per side: the path
-- whose first result needs many input beats (a conv's line buffer) must be
-- balanced by a FIFO on the other path at least that deep (plus the
-- pipelines' depths), else the join waits for the slow path, the short path
-- fills, the fork stalls and the slow path starves: a deadlock.
--
-- Cycle model: cycles per image = beats per image (one beat per cycle when
-- both consumers are ready).
-- Latency: 1 cycle (input transfer -> out_valid on both sides).
-- Throughput: 1 beat per cycle, also under backpressure once it lifts.
-- Backpressure: in_ready = a's and b's skid registers both empty, a function
-- of registers only (no combinational path from a_ready or b_ready); a_valid,
-- a_data, b_valid, b_data come from flip-flops.
-- Resources: 2 x (2 * WIDTH + 2) flip-flops (two cnn_skid). Yosys 0.23
-- `synth_xilinx -flatten -noiopad` on GHDL's Verilog, WIDTH 8: 36 FDRE,
-- 25 LUT (1 LUT2, 4 LUT3, 4 LUT5, 16 LUT6), no DSP, no block RAM.
library ieee;
use ieee.std_logic_1164.all;

entity cnn_fork is
  generic (
    WIDTH : positive := 8
  );
  port (
    clk      : in  std_logic;
    rst      : in  std_logic;
    in_valid : in  std_logic;
    in_ready : out std_logic;
    in_data  : in  std_logic_vector(WIDTH - 1 downto 0);
    a_valid  : out std_logic;
    a_ready  : in  std_logic;
    a_data   : out std_logic_vector(WIDTH - 1 downto 0);
    b_valid  : out std_logic;
    b_ready  : in  std_logic;
    b_data   : out std_logic_vector(WIDTH - 1 downto 0)
  );
end entity;

architecture rtl of cnn_fork is
  signal a_in_ready : std_logic;
  signal b_in_ready : std_logic;
  signal take       : std_logic;   -- both sides can take a beat (registers only)
  signal push       : std_logic;   -- the input beat transfers this cycle
begin
  take     <= a_in_ready and b_in_ready;
  in_ready <= take;
  -- Offer the beat to a side only when the other takes it too: a cnn_skid
  -- accepts exactly when in_valid and its in_ready, so both accept or neither.
  push     <= in_valid and take;

  u_a : entity work.cnn_skid
    generic map (WIDTH => WIDTH)
    port map (clk => clk, rst => rst,
              in_valid => push, in_ready => a_in_ready, in_data => in_data,
              out_valid => a_valid, out_ready => a_ready, out_data => a_data);

  u_b : entity work.cnn_skid
    generic map (WIDTH => WIDTH)
    port map (clk => clk, rst => rst,
              in_valid => push, in_ready => b_in_ready, in_data => in_data,
              out_valid => b_valid, out_ready => b_ready, out_data => b_data);
end architecture;
