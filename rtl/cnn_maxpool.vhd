-- cnn_maxpool: KHxKW max pooling (each 1..7), strides STRIDE_H x STRIDE_W
-- (1..4), over HxWxC (HWC order), output Ho x Wo x C with
-- Ho = (H-KH)/STRIDE_H+1, Wo = (W-KW)/STRIDE_W+1 (floor; trailing rows and
-- columns are ignored, as ONNX does with ceil_mode 0).
-- y = cnn_pkg.requant(signed max of the window, SHIFT, ACT, LEAKY_K)
-- (usually SHIFT = 0, ACT = ACT_NONE: the identity).
-- Padding: a padded MaxPool is cnn_zero_pad with PAD_VALUE = -128 followed
-- by this block over the padded image (H, W are the padded sizes): -128 never
-- beats a real value, and every window holds at least one real position
-- (pads <= kernel - 1), so padding never wins.
--
-- Engine: cnn_pool_window (line-buffer based: (KH-1) rows of Wo*C bytes plus
-- (KW-1)*C bytes, no frame buffer; see its header). Wide links: a beat
-- carries LANES channels (channel b*LANES + k of a pixel's beat b in byte k);
-- lane k is its own engine over the C/LANES channels k, LANES + k, ... (its
-- HWC stream), all in lockstep: the same in_valid and out_ready, the same
-- counters, so lane 0's in_ready and out_valid are every lane's.
-- Cycle model: cycles per image = H * W * C / LANES (1 input beat per cycle).
-- Latency: 1 cycle from the input beat that completes a window to its output
-- beat; an image's last output leaves 1 cycle after its last useful input
-- beat (later trailing rows/columns only add their own input cycles).
-- Throughput: 1 input beat per cycle, outputs in bursts of at most 1/cycle.
-- Backpressure: cnn_skid on the output; no beat lost, duplicated or reordered.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_maxpool is
  generic (
    C        : positive := 1;
    H        : positive := 4;
    W        : positive := 4;
    KH       : positive := 2;
    KW       : positive := 2;
    STRIDE_H : positive := 2;
    STRIDE_W : positive := 2;
    SHIFT    : integer  := 0;
    ACT      : natural  := ACT_NONE;
    LEAKY_K  : natural  := 3;
    CLAMP_HI : integer  := 127;  -- upper clamp of y (0..127)
    LANES    : positive := 1     -- channels a beat (divides C)
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(8 * LANES - 1 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(8 * LANES - 1 downto 0)
  );
end entity;

architecture rtl of cnn_maxpool is
  signal lane_ready, lane_valid : std_logic_vector(LANES - 1 downto 0);
begin
  assert C mod LANES = 0 report "cnn_maxpool: LANES must divide C" severity failure;
  -- The lanes run in lockstep (same valid, ready and image shape): lane 0's
  -- handshake is the block's.
  in_ready  <= lane_ready(0);
  out_valid <= lane_valid(0);

  g_lane : for k in 0 to LANES - 1 generate
    signal win_value : signed(7 downto 0);
    signal win_emit  : std_logic;
    signal y         : std_logic_vector(7 downto 0);
  begin
    y <= std_logic_vector(requant(win_value, SHIFT, ACT, LEAKY_K, CLAMP_HI));

    u_win : entity work.cnn_pool_window
      generic map (C => C / LANES, H => H, W => W, KH => KH, KW => KW,
                   STRIDE_H => STRIDE_H, STRIDE_W => STRIDE_W, IS_AVG => false, DW => 8)
      port map (clk => clk, rst => rst,
                in_valid => in_valid, in_ready => lane_ready(k), in_data => in_data(8 * k + 7 downto 8 * k),
                win_value => win_value, win_emit => win_emit, win_oy => open, win_ox => open,
                out_stage => y,
                out_valid => lane_valid(k), out_ready => out_ready, out_data => out_data(8 * k + 7 downto 8 * k));
  end generate;
end architecture;
