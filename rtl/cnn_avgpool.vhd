-- cnn_avgpool: KxK average pooling, stride STRIDE, no padding, over HxWxC
-- (HWC order), output Ho x Wo x C, Ho = (H-K)/STRIDE+1, Wo = (W-K)/STRIDE+1.
-- With S the window sum and N = K*K (SPEC §2, rtl_common):
--   y = sat8(RHE(S / (N * 2^s))), s = SHIFT for S >= 0; for S < 0:
--   s = SHIFT + LEAKY_K (ACT_LEAKY), y = 0 (ACT_RELU), s = SHIFT (ACT_NONE).
-- The division is exact (cnn_div_rhe: reciprocal multiply + remainder).
--
-- Engine: cnn_pool_window with sums (line buffer: (K-1) rows of Wo*C sums of
-- 8 + clog2(K*K) + 1 bits, plus (K-1)*C bytes; no frame buffer).
-- Cycle model: cycles per image = H * W * C (1 input beat per cycle).
-- Latency: 1 cycle from the input beat that completes a window to its output.
-- Throughput: 1 input beat per cycle. Backpressure: cnn_skid on the output.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_avgpool is
  generic (
    C       : positive := 1;
    H       : positive := 4;
    W       : positive := 4;
    K       : positive := 2;
    STRIDE  : positive := 2;
    SHIFT   : integer  := 0;
    ACT     : natural  := ACT_NONE;
    LEAKY_K : natural  := 3;
    CLAMP_HI : integer := 127   -- upper clamp of y (0..127)
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(7 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(7 downto 0)
  );
end entity;

architecture rtl of cnn_avgpool is
  constant N  : positive := K * K;
  constant DW : positive := 8 + clog2(N) + 1;
  signal win_value : signed(DW - 1 downto 0);
  signal win_emit  : std_logic;
  signal y_pos, y_neg : signed(7 downto 0);
  signal y         : std_logic_vector(7 downto 0);
begin
  u_pos : entity work.cnn_div_rhe
    generic map (WIDTH => DW, N => N, SHIFT => SHIFT)
    port map (v => win_value, y => y_pos);

  g_leaky : if ACT = ACT_LEAKY generate
    u_neg : entity work.cnn_div_rhe
      generic map (WIDTH => DW, N => N, SHIFT => SHIFT + LEAKY_K)
      port map (v => win_value, y => y_neg);
  end generate;
  g_other : if ACT /= ACT_LEAKY generate
    y_neg <= to_signed(0, 8) when ACT = ACT_RELU else y_pos;
  end generate;

  y <= std_logic_vector(clamp_hi8(y_neg, CLAMP_HI)) when win_value(DW - 1) = '1' else std_logic_vector(clamp_hi8(y_pos, CLAMP_HI));

  u_win : entity work.cnn_pool_window
    generic map (C => C, H => H, W => W, K => K, STRIDE => STRIDE, IS_AVG => true, DW => DW)
    port map (clk => clk, rst => rst,
              in_valid => in_valid, in_ready => in_ready, in_data => in_data,
              win_value => win_value, win_emit => win_emit, out_stage => y,
              out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
