-- cnn_requant: onnxruntime's float32 requantisation (SPEC §2,
-- gen/requant.cpp requantize_f32) reproduced exactly with integers:
--     a = f32(acc)              int32 -> binary32, round half to even (RNE)
--     v = f32(a * scale)        binary32 product, RNE
--     y = clamp(RNE(v) + zp, lo, hi)
-- in_acc: int32. in_scale: the bit pattern of a positive normal binary32
-- (bit 31, the sign, is ignored; exponent field 1..254). in_zp, in_lo, in_hi:
-- int8, lo <= hi (the callers tie them to constants: ZP_OUT, CLAMP_LO,
-- CLAMP_HI, and synthesis folds them). out_data: int8.
--
-- How (all in sign and magnitude: every rounding here is RNE, which is
-- symmetric, so the sign goes back on at the end):
--   S1  m = |acc| (32 bits; 2^31 for -2^31); the scale's fields E and
--       ms = 1.frac as a 24-bit integer, s = ms * 2^(E - 150).
--   S2  f32(m): normalise m (leading one to bit 31, a 5-level shifter whose
--       steps are the leading-zero count lz), keep 24 bits and round on the
--       8 dropped ones (they are 0 when m < 2^24: exact); a carry out makes
--       ma = 2^23 one exponent up. a = ma * 2^(8 - lz + c1), ma in [2^23, 2^24).
--   S3  P = ma * ms, 48 bits, in [2^46, 2^48): one 24 x 24 multiplier.
--   S4  f32(a * s): keep P's 24 leading bits (from bit 47 or 46) and round
--       on the rest: v = Pr * 2^-k with Pr in [2^23, 2^24] and
--       k = 119 + lz - c1 - P(47) - E.
--   S5  RNE(v) as a rounding right shift of Pr by k (the second rounding, at
--       the binary point; both roundings are reproduced, not merged), sign,
--       + zp, clamp to [lo, hi].
-- Short cuts of S5, exact:
--   k <= 13: |v| >= 2^23 * 2^-13 = 1024, so RNE(v) + zp is >= 1024 - 128 > 127
--            or <= -1024 + 127 < -128: y = hi (v > 0) or lo (v < 0), which
--            is what the full formula gives (lo <= hi are int8).
--   k >= 25: |v| <= 2^24 * 2^-25 = 1/2, and RNE(1/2) = 0 (even): y = clamp(zp).
--   acc = 0: v = 0, y = clamp(zp).
-- So the shifter only needs k = 14 .. 24 (11 amounts, results < 2^11).
-- No product is subnormal: a nonzero |a| >= 1 times a normal scale >= 2^-126
-- is >= 2^-126. An overflow of the product to +inf (E large) is a k <= 13
-- saturation, as onnxruntime's clamp of inf.
--
-- Written without shift_right/sra on signed, '/', mod, rem, abs, maximum or
-- minimum and without constants over 32 bits (GHDL 2.0's Verilog writer,
-- README "Traps"): shifts are slices selected by comparisons.
--
-- Latency: 5 cycles from in_valid to out_valid (one register per stage
-- S1..S5). Throughput: one value per cycle. Backpressure: none (a plain
-- pipeline, like cnn_mac's stages): the caller reserves room downstream.
-- Resources (Yosys 0.23 `synth_xilinx -flatten` on GHDL's Verilog,
-- rtl/flow/ghdl2v.sh; LUT = LUT1..LUT6, FF = FDRE/FDSE):
--   cnn_requant alone (zp/lo/hi as ports)  471 LUT, 147 FF + 25 SRL16E, 2 DSP48E1, 43 CARRY4
--   the shift stage alone (32-bit acc, SHIFT 8, cnn_pkg.requant)  58 LUT, 8 FF, 0 DSP
--     the same with a zero point and CLAMP_LO (requant_zp)       62 LUT, 8 FF, 0 DSP
--   cnn_mac PAR 1, ACC_W 40: shift 142 LUT, 120 FF, 1 DSP; shift with
--     ZP_OUT/CLAMP_LO 179 LUT, 120 FF, 1 DSP; REQUANT_F32 526 LUT, 351 FF
--     (96 of them the scale's 3 pipeline registers), 1 SRL16E, 3 DSP.
-- (e.g. yosys -p "read_verilog cnn_requant.v; synth_xilinx -top cnn_requant
-- -flatten; stat" after rtl/flow/ghdl2v.sh OUT cnn_requant -- cnn_pkg.vhd
-- cnn_requant.vhd.)
-- The two DSPs are the 24 x 24 product (25 x 18 slices).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity cnn_requant is
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_acc    : in  std_logic_vector(31 downto 0);
    in_scale  : in  std_logic_vector(31 downto 0);
    in_zp     : in  std_logic_vector(7 downto 0);
    in_lo     : in  std_logic_vector(7 downto 0);
    in_hi     : in  std_logic_vector(7 downto 0);
    out_valid : out std_logic;
    out_data  : out std_logic_vector(7 downto 0)
  );
end entity;

architecture rtl of cnn_requant is
  subtype exp_t is signed(9 downto 0);       -- k and its parts: -140 .. 151
  subtype q8_t is std_logic_vector(7 downto 0);

  -- S1
  signal v1, neg1 : std_logic := '0';
  signal m1   : unsigned(31 downto 0) := (others => '0');
  signal e1   : unsigned(7 downto 0) := (others => '0');
  signal ms1  : unsigned(23 downto 0) := (others => '0');
  -- The bounds ride along without an initial value: tied to constants (as
  -- every caller does), their registers then fold away in synthesis.
  signal zp1, lo1, hi1 : q8_t;
  -- S2
  signal v2, neg2, zero2 : std_logic := '0';
  signal ma2  : unsigned(23 downto 0) := (others => '0');
  signal ms2  : unsigned(23 downto 0) := (others => '0');
  signal kb2  : exp_t := (others => '0');    -- 119 + lz - c1 - E
  signal zp2, lo2, hi2 : q8_t;
  -- S3
  signal v3, neg3, zero3 : std_logic := '0';
  signal p3   : unsigned(47 downto 0) := (others => '0');
  signal kb3  : exp_t := (others => '0');
  signal zp3, lo3, hi3 : q8_t;
  -- S4
  signal v4, neg4, zero4, sat4 : std_logic := '0';
  signal pr4  : unsigned(24 downto 0) := (others => '0');  -- Pr, 2^23 .. 2^24
  signal sh4  : unsigned(3 downto 0) := (others => '0');   -- k - 14 (0 .. 10 when used)
  signal zp4, lo4, hi4 : q8_t;
  -- S5
  signal v5   : std_logic := '0';
  signal y5   : q8_t := (others => '0');
begin
  out_valid <= v5;
  out_data  <= y5;

  process (clk)
    variable x     : signed(32 downto 0);
    variable n     : unsigned(31 downto 0);
    variable lz    : unsigned(4 downto 0);
    variable r25   : unsigned(24 downto 0);
    variable up    : boolean;
    variable c1    : std_logic;
    variable k     : exp_t;
    variable q     : unsigned(10 downto 0);
    variable g     : std_logic;
    variable st    : std_logic;
    variable ys    : signed(11 downto 0);
  begin
    if rising_edge(clk) then
      ---------------------------------------------------------------- S1
      x := resize(signed(in_acc), 33);
      neg1 <= x(32);
      if x(32) = '1' then
        x := -x;
      end if;
      m1  <= unsigned(x(31 downto 0));
      e1  <= unsigned(in_scale(30 downto 23));
      ms1 <= unsigned('1' & in_scale(22 downto 0));
      v1  <= in_valid;
      zp1 <= in_zp; lo1 <= in_lo; hi1 <= in_hi;

      ---------------------------------------------------------------- S2
      -- Normalise: the leading one to bit 31, lz = the leading zeros.
      n  := m1;
      lz := (others => '0');
      if n(31 downto 16) = 0 then n := n(15 downto 0) & x"0000"; lz(4) := '1'; end if;
      if n(31 downto 24) = 0 then n := n(23 downto 0) & x"00";   lz(3) := '1'; end if;
      if n(31 downto 28) = 0 then n := n(27 downto 0) & x"0";    lz(2) := '1'; end if;
      if n(31 downto 30) = 0 then n := n(29 downto 0) & "00";    lz(1) := '1'; end if;
      if n(31) = '0'         then n := n(30 downto 0) & '0';     lz(0) := '1'; end if;
      -- Keep bits 31..8, round half to even on bits 7..0.
      up  := n(7) = '1' and (n(6 downto 0) /= 0 or n(8) = '1');
      r25 := '0' & n(31 downto 8);
      if up then
        r25 := r25 + 1;
      end if;
      c1 := r25(24);                         -- 2^24: one exponent up, ma = 2^23
      if c1 = '1' then
        ma2 <= (23 => '1', others => '0');
      else
        ma2 <= r25(23 downto 0);
      end if;
      k := to_signed(119, 10) + signed(resize(lz, 10)) - signed(resize(e1, 10));
      if c1 = '1' then
        k := k - 1;
      end if;
      kb2   <= k;
      zero2 <= '0';
      if m1 = 0 then
        zero2 <= '1';
      end if;
      ms2   <= ms1;
      neg2  <= neg1;
      v2    <= v1;
      zp2 <= zp1; lo2 <= lo1; hi2 <= hi1;

      ---------------------------------------------------------------- S3
      p3    <= ma2 * ms2;
      kb3   <= kb2;
      zero3 <= zero2;
      neg3  <= neg2;
      v3    <= v2;
      zp3 <= zp2; lo3 <= lo2; hi3 <= hi2;

      ---------------------------------------------------------------- S4
      -- Round the product to 24 significant bits (its leading one is bit 47
      -- or 46).
      if p3(47) = '1' then
        up  := p3(23) = '1' and (p3(22 downto 0) /= 0 or p3(24) = '1');
        r25 := '0' & p3(47 downto 24);
        k   := kb3 - 1;
      else
        up  := p3(22) = '1' and (p3(21 downto 0) /= 0 or p3(23) = '1');
        r25 := '0' & p3(46 downto 23);
        k   := kb3;
      end if;
      if up then
        r25 := r25 + 1;                      -- may reach 2^24 (kept as is)
      end if;
      pr4 <= r25;
      sat4 <= '0';
      zero4 <= zero3;
      sh4 <= (others => '0');
      if zero3 = '1' then
        null;                                -- acc = 0: y = clamp(zp)
      elsif k < to_signed(14, 10) then
        sat4 <= '1';
      elsif k > to_signed(24, 10) then
        zero4 <= '1';
      else
        sh4 <= unsigned(k(3 downto 0)) - 14;  -- k in 14..24 (mod 16 arithmetic)
      end if;
      neg4 <= neg3;
      v4   <= v3;
      zp4 <= zp3; lo4 <= lo3; hi4 <= hi3;

      ---------------------------------------------------------------- S5
      -- q = RNE(Pr / 2^(14 + sh)), a mux of 11 fixed slices.
      q  := (others => '0');
      g  := '0';
      st := '0';
      for j in 0 to 10 loop
        if sh4 = j then
          q  := resize(pr4(24 downto 14 + j), 11);
          g  := pr4(13 + j);
          st := '0';
          if pr4(12 + j downto 0) /= 0 then
            st := '1';
          end if;
        end if;
      end loop;
      if g = '1' and (st = '1' or q(0) = '1') then
        q := q + 1;                          -- <= 2^24 / 2^14 = 1024: no overflow
      end if;
      if zero4 = '1' then
        q := (others => '0');
      end if;
      ys := signed('0' & q);
      if neg4 = '1' then
        ys := -ys;
      end if;
      ys := ys + resize(signed(zp4), 12);
      if sat4 = '1' then
        if neg4 = '1' then
          y5 <= lo4;
        else
          y5 <= hi4;
        end if;
      elsif ys < resize(signed(lo4), 12) then
        y5 <= lo4;
      elsif ys > resize(signed(hi4), 12) then
        y5 <= hi4;
      else
        y5 <= std_logic_vector(ys(7 downto 0));
      end if;
      v5 <= v4;

      if rst = '1' then
        v1 <= '0'; v2 <= '0'; v3 <= '0'; v4 <= '0'; v5 <= '0';
      end if;
    end if;
  end process;
end architecture;
