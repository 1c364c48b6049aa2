-- tb_conv_wrap: cnn_conv (behind a cnn_zero_pad when PAD_* > 0) with seeded
-- pseudo-random weights and biases, for the
-- block test. The same generator is in tests/tb_weights.hpp (lcg_weights):
--   x(0) = SEED mod 65537, x(n+1) = (75 x(n) + 74) mod 65537 (ZX81 LCG);
--   weights in order: w = (x mod 256) - 128 (or WFILL if nonzero); then
--   biases: b = (x - 32768) * BMUL.
-- IN_SIGNED_I is an integer (1 = int8 input) so the testbench sees it as a constant.
library ieee;
use ieee.std_logic_1164.all;
use work.cnn_pkg.all;

entity tb_conv_wrap is
  generic (
    C_IN : positive := 1; C_OUT : positive := 1; H : positive := 8; W : positive := 8;
    KH : positive := 3; KW : positive := 3; STRIDE_H : positive := 1; STRIDE_W : positive := 1;
    PAR : positive := 1; PAR_OUT : positive := 1; PAR_KY : positive := 1; PAR_KX : positive := 1;
    IN_LANES : positive := 1; OUT_LANES : positive := 1;   -- wide links (a pad in front: 1)
    SHIFT : integer := 0; ACT : natural := 0; LEAKY_K : natural := 0; CLAMP_HI : integer := 127;
    PAD_T : natural := 0; PAD_L : natural := 0; PAD_B : natural := 0; PAD_R : natural := 0;
    IN_SIGNED_I : natural := 1; SEED : natural := 1; BMUL : positive := 1;
    WFILL : integer := 0;   -- nonzero: every weight = WFILL (worst-case sums)
    IMAGES : positive := 4; -- testbench only: images per run
    -- SPEC v2 output stage: REQUANT_F32_I = 1 for the float32 stage with
    -- seeded scales (lcg_scales), zero point and lower clamp.
    REQUANT_F32_I : natural := 0; ZP_OUT : integer := 0; CLAMP_LO : integer := -128;
    SCALE_E : natural := 120; SCALE_FRAC : natural := 1
  );
  port (
    clk : in std_logic; rst : in std_logic;
    in_valid : in std_logic; in_ready : out std_logic; in_data : in std_logic_vector(8 * IN_LANES - 1 downto 0);
    out_valid : out std_logic; out_ready : in std_logic; out_data : out std_logic_vector(8 * OUT_LANES - 1 downto 0)
  );
end entity;

architecture wrap of tb_conv_wrap is
  constant NWT : positive := C_OUT * KH * KW * C_IN;

  function lcg_values(n_w, n_b : positive; biases : boolean) return int_array is
    variable x : natural := SEED mod 65537;
    variable wv : int_array(0 to n_w - 1);
    variable bv : int_array(0 to n_b - 1);
  begin
    for i in 0 to n_w - 1 loop
      x := (75 * x + 74) mod 65537;
      wv(i) := (x mod 256) - 128;
      if WFILL /= 0 then
        wv(i) := WFILL;
      end if;
    end loop;
    for i in 0 to n_b - 1 loop
      x := (75 * x + 74) mod 65537;
      bv(i) := (x - 32768) * BMUL;
    end loop;
    if biases then
      return bv;
    end if;
    return wv;
  end function;

  -- The scales after the weights and biases (tests/tb_lcg.hpp lcg_scales):
  -- (SCALE_E - x mod 4) * 2^23 + (SCALE_FRAC /= 0 ? (127 x) mod 2^23 : 0).
  function lcg_scales(n_w, n_b, n_s : positive) return int_array is
    variable x  : natural := SEED mod 65537;
    variable sv : int_array(0 to n_s - 1);
  begin
    for i in 0 to n_w + n_b - 1 loop
      x := (75 * x + 74) mod 65537;
    end loop;
    for i in 0 to n_s - 1 loop
      x := (75 * x + 74) mod 65537;
      sv(i) := (SCALE_E - x mod 4) * 2 ** 23;
      if SCALE_FRAC /= 0 then
        sv(i) := sv(i) + (127 * x) mod 2 ** 23;
      end if;
    end loop;
    return sv;
  end function;

  constant WTS : int_array(0 to NWT - 1) := lcg_values(NWT, C_OUT, false);
  constant BS  : int_array(0 to C_OUT - 1) := lcg_values(NWT, C_OUT, true);
  constant SCS : int_array(0 to C_OUT - 1) := lcg_scales(NWT, C_OUT, C_OUT);
  constant PADDED : boolean := PAD_T + PAD_L + PAD_B + PAD_R > 0;
  signal p_valid, p_ready : std_logic;
  signal p_data : std_logic_vector(8 * IN_LANES - 1 downto 0);
begin
  -- With pads, cnn_zero_pad in front, as the generator emits a padded Conv.
  g_pad : if PADDED generate
    pad : entity work.cnn_zero_pad
      generic map (C => C_IN, H => H, W => W, PAD_T => PAD_T, PAD_L => PAD_L, PAD_B => PAD_B,
                   PAD_R => PAD_R, PAD_VALUE => 0)
      port map (clk => clk, rst => rst, in_valid => in_valid, in_ready => in_ready, in_data => in_data,
                out_valid => p_valid, out_ready => p_ready, out_data => p_data);
  end generate;
  g_nopad : if not PADDED generate
    p_valid  <= in_valid;
    in_ready <= p_ready;
    p_data   <= in_data;
  end generate;

  dut : entity work.cnn_conv
    generic map (
      C_IN => C_IN, C_OUT => C_OUT, H => H + PAD_T + PAD_B, W => W + PAD_L + PAD_R, KH => KH, KW => KW,
      STRIDE_H => STRIDE_H, STRIDE_W => STRIDE_W, PAR => PAR, PAR_OUT => PAR_OUT, PAR_KY => PAR_KY,
      PAR_KX => PAR_KX, IN_LANES => IN_LANES, OUT_LANES => OUT_LANES,
      WEIGHTS => WTS, BIAS => BS, SHIFT => SHIFT, ACT => ACT, LEAKY_K => LEAKY_K, CLAMP_HI => CLAMP_HI,
      IN_SIGNED => IN_SIGNED_I /= 0,
      CLAMP_LO => CLAMP_LO, ZP_OUT => ZP_OUT, REQUANT_F32 => REQUANT_F32_I /= 0, SCALES => SCS)
    port map (
      clk => clk, rst => rst, in_valid => p_valid, in_ready => p_ready, in_data => p_data,
      out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
