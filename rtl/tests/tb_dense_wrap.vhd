-- tb_dense_wrap: cnn_dense with seeded pseudo-random weights and biases, for
-- the block test. Same generator as tb_conv_wrap.vhd and tests/tb_lcg.hpp:
--   x(0) = SEED mod 65537, x(n+1) = (75 x(n) + 74) mod 65537 (ZX81 LCG);
--   weights in order: w = (x mod 256) - 128 (or WFILL if nonzero); then
--   biases: b = (x - 32768) * BMUL.
-- ZEROS (bit mask, applied after the generator) makes all-zero ROM words:
--   bit 0: the last bias is 0;
--   bit 1: every weight of the last output is 0 (all its weight words zero).
-- IN_SIGNED_I is an integer (1 = int8 input) so the testbench sees it as a constant.
library ieee;
use ieee.std_logic_1164.all;
use work.cnn_pkg.all;

entity tb_dense_wrap is
  generic (
    N_IN : positive := 8; N_OUT : positive := 2; PAR : positive := 1;
    SHIFT : integer := 0; ACT : natural := 0; LEAKY_K : natural := 0; CLAMP_HI : integer := 127;
    IN_SIGNED_I : natural := 1; SEED : natural := 1; BMUL : positive := 1;
    WFILL : integer := 0;   -- nonzero: every weight = WFILL (worst-case sums)
    ZEROS : natural := 0;   -- bit 0: last bias 0; bit 1: last output's weights 0
    IMAGES : positive := 4; -- testbench only: images per run
    -- SPEC v2 output stage: REQUANT_F32_I = 1 for the float32 stage with
    -- seeded scales (lcg_scales), zero point and lower clamp.
    REQUANT_F32_I : natural := 0; ZP_OUT : integer := 0; CLAMP_LO : integer := -128;
    SCALE_E : natural := 120; SCALE_FRAC : natural := 1
  );
  port (
    clk : in std_logic; rst : in std_logic;
    in_valid : in std_logic; in_ready : out std_logic; in_data : in std_logic_vector(7 downto 0);
    out_valid : out std_logic; out_ready : in std_logic; out_data : out std_logic_vector(7 downto 0)
  );
end entity;

architecture wrap of tb_dense_wrap is
  constant NWT : positive := N_OUT * N_IN;

  function lcg_values(n_w, n_b : positive; biases : boolean) return int_array is
    variable x  : natural := SEED mod 65537;
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
    if ZEROS mod 2 = 1 then
      bv(n_b - 1) := 0;
    end if;
    if (ZEROS / 2) mod 2 = 1 then
      for i in n_w - N_IN to n_w - 1 loop
        wv(i) := 0;
      end loop;
    end if;
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

  constant WTS : int_array(0 to NWT - 1) := lcg_values(NWT, N_OUT, false);
  constant BS  : int_array(0 to N_OUT - 1) := lcg_values(NWT, N_OUT, true);
  constant SCS : int_array(0 to N_OUT - 1) := lcg_scales(NWT, N_OUT, N_OUT);
begin
  dut : entity work.cnn_dense
    generic map (
      N_IN => N_IN, N_OUT => N_OUT, PAR => PAR,
      WEIGHTS => WTS, BIAS => BS, SHIFT => SHIFT, ACT => ACT, LEAKY_K => LEAKY_K, CLAMP_HI => CLAMP_HI,
      IN_SIGNED => IN_SIGNED_I /= 0,
      CLAMP_LO => CLAMP_LO, ZP_OUT => ZP_OUT, REQUANT_F32 => REQUANT_F32_I /= 0, SCALES => SCS)
    port map (
      clk => clk, rst => rst, in_valid => in_valid, in_ready => in_ready, in_data => in_data,
      out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
