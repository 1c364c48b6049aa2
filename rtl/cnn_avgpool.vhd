-- cnn_avgpool: KHxKW average pooling (each 1..7), strides STRIDE_H x
-- STRIDE_W (1..4), over an HxWxC image (HWC order) that already carries its
-- padding: H, W are the padded sizes, PAD_T/PAD_L/PAD_B/PAD_R say which rows
-- and columns are padding (cnn_zero_pad, PAD_VALUE = 0, feeds it; the
-- quantized zero adds nothing to a sum). Output Ho x Wo x C,
-- Ho = (H-KH)/STRIDE_H+1, Wo = (W-KW)/STRIDE_W+1.
-- With S the window sum of p(x) (PRE_ACT, PRE_LEAKY_K: see cnn_pool_window;
-- S is at 2^-(f_in + PRE_LEAKY_K) under ACT_LEAKY, SHIFT includes that k) and
-- N = KH*KW (COUNT_INCLUDE_PAD or no padding) or the number of real
-- (unpadded) positions of the window (SPEC §2):
--   y = sat8(RHE(S / (N * 2^s))), s = SHIFT for S >= 0; for S < 0:
--   s = SHIFT + LEAKY_K (ACT_LEAKY), y = 0 (ACT_RELU), s = SHIFT (ACT_NONE).
-- The division is exact (cnn_div_rhe: reciprocal multiply + remainder); with
-- per-window counts N = rows(oy) * cols(ox) it selects the divisor from a
-- table of the KH*KW products 1..KH x 1..KW, rows(oy) and cols(ox) coming
-- from two small ROMs built at elaboration.
--
-- Engine: cnn_pool_window with sums (line buffer: (KH-1) rows of Wo*C sums of
-- DW = 8 + pre_bits + clog2(KH*KW) + 1 bits, plus (KW-1)*C of them; no
-- frame buffer).
-- Cycle model: cycles per image = H * W * C / LANES (1 input beat per cycle;
-- LANES channels a beat, one lockstep engine per lane, as cnn_maxpool).
-- Latency: 1 cycle from the input beat that completes a window to its output.
-- Throughput: 1 input beat per cycle. Backpressure: cnn_skid on the output.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_avgpool is
  generic (
    C                 : positive := 1;
    H                 : positive := 4;
    W                 : positive := 4;
    KH                : positive := 2;
    KW                : positive := 2;
    STRIDE_H          : positive := 2;
    STRIDE_W          : positive := 2;
    PAD_T             : natural  := 0;
    PAD_L             : natural  := 0;
    PAD_B             : natural  := 0;
    PAD_R             : natural  := 0;
    COUNT_INCLUDE_PAD : boolean  := false;
    PRE_ACT           : natural  := ACT_NONE;
    PRE_LEAKY_K       : natural  := 0;
    SHIFT             : integer  := 0;
    ACT               : natural  := ACT_NONE;
    LEAKY_K           : natural  := 3;
    CLAMP_HI          : integer  := 127;  -- upper clamp of y (0..127)
    LANES             : positive := 1     -- channels a beat (divides C): as cnn_maxpool
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

architecture rtl of cnn_avgpool is
  constant N  : positive := KH * KW;
  constant DW : positive := 8 + pre_bits(PRE_ACT, PRE_LEAKY_K) + clog2(N) + 1;
  constant HO : positive := (H - KH) / STRIDE_H + 1;
  constant WO : positive := (W - KW) / STRIDE_W + 1;
  constant PER_WINDOW : boolean :=
    not COUNT_INCLUDE_PAD and (PAD_T + PAD_L + PAD_B + PAD_R) > 0;

  -- Real positions along one axis of the window that starts at o*s of the
  -- padded axis: [o*s, o*s + k) intersected with [lo, lo + n).
  function real_count(o, s, k, lo, len : natural) return natural is
  begin
    return min_int(o * s + k, lo + len) - max_int(o * s, lo);
  end function;

  type count_rom_t is array (natural range <>) of natural range 1 to 7;
  function counts(no, s, k, lo, hi, len : natural) return count_rom_t is
    variable r : count_rom_t(0 to no - 1);
  begin
    for o in 0 to no - 1 loop
      r(o) := real_count(o, s, k, lo, len - lo - hi);   -- >= 1: pads <= k-1
    end loop;
    return r;
  end function;
  constant ROWS : count_rom_t(0 to HO - 1) := counts(HO, STRIDE_H, KH, PAD_T, PAD_B, H);
  constant COLS : count_rom_t(0 to WO - 1) := counts(WO, STRIDE_W, KW, PAD_L, PAD_R, W);

  -- DIVS(i) = (i / KW + 1) * (i mod KW + 1): every rows x cols product.
  function products return int_array is
    variable r : int_array(0 to N - 1);
  begin
    for i in 0 to N - 1 loop
      r(i) := (i / KW + 1) * (i mod KW + 1);
    end loop;
    return r;
  end function;
  function divisors return int_array is
  begin
    if PER_WINDOW then
      return products;
    end if;
    return (0 => 0);   -- no table: N
  end function;
  constant DIVS : int_array := divisors;

  signal lane_ready, lane_valid : std_logic_vector(LANES - 1 downto 0);
begin
  assert C mod LANES = 0 report "cnn_avgpool: LANES must divide C" severity failure;
  -- The lanes run in lockstep (cnn_maxpool): lane 0's handshake is the block's.
  in_ready  <= lane_ready(0);
  out_valid <= lane_valid(0);

  g_lane : for k in 0 to LANES - 1 generate
    signal win_value : signed(DW - 1 downto 0);
    signal win_emit  : std_logic;
    signal win_oy    : natural range 0 to HO;
    signal win_ox    : natural range 0 to WO;
    signal sel       : natural range 0 to 255;
    signal y_pos, y_neg : signed(7 downto 0);
    signal y         : std_logic_vector(7 downto 0);
  begin
    g_sel : if PER_WINDOW generate
      process (win_oy, win_ox)
        variable nr, nc : natural range 1 to 7;
      begin
        nr := 1;
        nc := 1;
        if win_oy < HO then
          nr := ROWS(win_oy);
        end if;
        if win_ox < WO then
          nc := COLS(win_ox);
        end if;
        sel <= (nr - 1) * KW + (nc - 1);
      end process;
    end generate;
    g_nosel : if not PER_WINDOW generate
      sel <= 0;
    end generate;

    u_pos : entity work.cnn_div_rhe
      generic map (WIDTH => DW, N => N, SHIFT => SHIFT, DIVS => DIVS)
      port map (v => win_value, sel => sel, y => y_pos);

    g_leaky : if ACT = ACT_LEAKY generate
      u_neg : entity work.cnn_div_rhe
        generic map (WIDTH => DW, N => N, SHIFT => SHIFT + LEAKY_K, DIVS => DIVS)
        port map (v => win_value, sel => sel, y => y_neg);
    end generate;
    g_other : if ACT /= ACT_LEAKY generate
      y_neg <= to_signed(0, 8) when ACT = ACT_RELU else y_pos;
    end generate;

    y <= std_logic_vector(clamp_hi8(y_neg, CLAMP_HI)) when win_value(DW - 1) = '1' else std_logic_vector(clamp_hi8(y_pos, CLAMP_HI));

    u_win : entity work.cnn_pool_window
      generic map (C => C / LANES, H => H, W => W, KH => KH, KW => KW,
                   STRIDE_H => STRIDE_H, STRIDE_W => STRIDE_W, IS_AVG => true,
                   PRE_ACT => PRE_ACT, PRE_LEAKY_K => PRE_LEAKY_K, DW => DW)
      port map (clk => clk, rst => rst,
                in_valid => in_valid, in_ready => lane_ready(k), in_data => in_data(8 * k + 7 downto 8 * k),
                win_value => win_value, win_emit => win_emit, win_oy => win_oy, win_ox => win_ox,
                out_stage => y,
                out_valid => lane_valid(k), out_ready => out_ready, out_data => out_data(8 * k + 7 downto 8 * k));
  end generate;
end architecture;
