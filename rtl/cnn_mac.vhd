-- cnn_mac: the multiply-accumulate and output stage shared by cnn_conv and
-- cnn_dense. Every valid input cycle multiplies PAR activation bytes by PAR
-- weight bytes, sums the products and accumulates them; the cycle flagged
-- in_first starts a new sum from in_bias, the cycle flagged in_last ends it:
-- the sum goes through cnn_pkg.requant (SHIFT, ACT, LEAKY_K, CLAMP_HI) and comes out as
-- one int8 beat (out_valid is a one-cycle pulse).
--
--   acc = bias + sum over the cycles first..last of sum_p x(p) * w(p)
--   y   = requant(acc, SHIFT, ACT, LEAKY_K, CLAMP_HI)
--
-- in_x: PAR bytes, byte p at bits 8p+7..8p: int8 (IN_SIGNED) or uint8.
-- in_w: PAR int8 weights, same layout. in_bias: int32.
-- ACC_W must hold the largest |acc| (the caller computes it from its shape).
-- Before requant the accumulator is narrowed exactly to <= 32 bits (see
-- narrow() below); SHIFT must be >= -22.
--
-- Latency: 4 cycles from an in_last cycle to its out_valid pulse (stages:
-- products, adder tree, accumulator, requant); 4 + F32_EXTRA = 8 with
-- REQUANT_F32 (cnn_requant's 5 stages instead of the one requant stage). Throughput: one input cycle
-- per clock, one result per clock when every cycle is first and last.
-- Backpressure: none; the pipeline never stalls. The caller reserves room
-- for each result downstream before issuing its in_last cycle (cnn_conv and
-- cnn_dense count credits against their output FIFO).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_mac is
  generic (
    PAR       : positive := 1;
    ACC_W     : positive := 40;
    IN_SIGNED : boolean  := true;
    SHIFT     : integer  := 0;
    ACT       : natural  := ACT_NONE;
    LEAKY_K   : natural  := 0;
    CLAMP_HI  : integer  := 127;     -- upper clamp of y (-128..127; < 127: Clip(0, max))
    CLAMP_LO  : integer  := -128;    -- lower clamp of y (-128..CLAMP_HI)
    ZP_OUT    : integer  := 0;       -- zero point of y (-128..127)
    REQUANT_F32 : boolean := false   -- float32 output stage (in_scale) instead of SHIFT
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_first  : in  std_logic;
    in_last   : in  std_logic;
    in_x      : in  std_logic_vector(PAR * 8 - 1 downto 0);
    in_w      : in  std_logic_vector(PAR * 8 - 1 downto 0);
    in_bias   : in  std_logic_vector(31 downto 0);
    in_scale  : in  std_logic_vector(31 downto 0) := (others => '0');  -- REQUANT_F32 only
    out_valid : out std_logic;
    out_data  : out std_logic_vector(7 downto 0)
  );
end entity;

architecture rtl of cnn_mac is
  -- |x * w| <= 255 * 128 < 2^15: a product is 17-bit signed (9 x 8).
  constant PROD_W : positive := 17;
  constant SUM_W  : positive := PROD_W + clog2(PAR + 1);

  -- The accumulator is narrowed to at most 32 bits before requant, exactly
  -- (same result for every acc), because GHDL 2.0's Verilog writer emits
  -- signed comparisons with constants wider than 32 bits as string literals
  -- ($signed("0..01111111")), which Verilog reads as ASCII: wrong hardware.
  -- It is also a narrower output stage. Two exact steps:
  --  1. drop T low bits, ORing them into the new LSB ("sticky"): as long as
  --     at least 2 fraction bits remain (T <= shift - 2), the round-half-even
  --     decision and the sign are unchanged, so RHE(acc / 2^s) =
  --     RHE(acc' / 2^(s - T));
  --  2. clamp to W2 bits: every value beyond +-2^(W2-1) >= 512 * 2^smax
  --     saturates the output anyway, on the same side.
  -- Needs SHIFT >= -22 (sat8_shl widens by -SHIFT; a larger left shift
  -- saturates every nonzero accumulator, nobody builds that).
  function k_eff return natural is
  begin
    if ACT = ACT_LEAKY then
      return LEAKY_K;
    end if;
    return 0;
  end function;

  -- The shift stage's SHIFT (0 with REQUANT_F32: that stage is then unused,
  -- and the generator's SHIFT of a float layer means nothing).
  function shift_e return integer is
  begin
    if REQUANT_F32 then
      return 0;
    end if;
    return SHIFT;
  end function;
  constant SH   : integer := shift_e;

  constant SMAX : integer := SH + k_eff;              -- largest right shift used
  constant T    : natural := max_int(0, SMAX - 22);      -- sticky pre-shift
  constant W2   : positive := max_int(SMAX - T, 0) + 10;  -- <= 32

  function narrow(v : signed(ACC_W - 1 downto 0)) return signed is
    constant UW : positive := ACC_W - T;
    variable u      : signed(UW - 1 downto 0);
    variable r      : signed(W2 - 1 downto 0);
  begin
    u := v(ACC_W - 1 downto T);
    if T > 0 then
      u(0) := u(0) or (or v(T - 1 downto 0));  -- the sticky bit, one reduction
    end if;
    if UW <= W2 then
      return resize(u, W2);
    end if;
    if fits_bits(u, W2) then
      r := u(W2 - 1 downto 0);
    else
      r := (others => not u(UW - 1));
      r(W2 - 1) := u(UW - 1);
    end if;
    return r;
  end function;

  type prod_array is array (0 to PAR - 1) of signed(PROD_W - 1 downto 0);

  -- Stage 2: products.
  signal p_valid, p_first, p_last : std_logic := '0';
  signal p_prod : prod_array := (others => (others => '0'));
  signal p_bias : signed(31 downto 0) := (others => '0');
  signal p_scale, s_scale, a_scale : std_logic_vector(31 downto 0) := (others => '0');
  -- Stage 3: sum of the PAR products.
  signal s_valid, s_first, s_last : std_logic := '0';
  signal s_sum  : signed(SUM_W - 1 downto 0) := (others => '0');
  signal s_bias : signed(31 downto 0) := (others => '0');
  -- Stage 4: accumulator.
  signal a_done : std_logic := '0';
  signal a_acc  : signed(ACC_W - 1 downto 0) := (others => '0');
  -- Stage 5: requantised result.
  signal r_valid : std_logic := '0';
  signal r_data  : std_logic_vector(7 downto 0) := (others => '0');
begin
  assert not REQUANT_F32 or ACT /= ACT_LEAKY
    report "cnn_mac: ACT_LEAKY has no float32 output stage (a Lut layer does it)" severity failure;
  assert CLAMP_LO >= -128 and CLAMP_LO <= CLAMP_HI and CLAMP_HI <= 127 and ZP_OUT >= -128 and ZP_OUT <= 127
    report "cnn_mac: ZP_OUT, CLAMP_LO, CLAMP_HI out of range" severity failure;
  assert REQUANT_F32 or (SHIFT >= -22 and (T = 0 or T + 2 <= SHIFT))
    report "cnn_mac: SHIFT out of the supported range" severity failure;

  process (clk)
    variable xv  : signed(8 downto 0);
    variable sum : signed(SUM_W - 1 downto 0);
    variable acc : signed(ACC_W - 1 downto 0);
  begin
    if rising_edge(clk) then
      -- Stage 2: PAR multiplies (9-bit signed activation x 8-bit weight).
      for i in 0 to PAR - 1 loop
        if IN_SIGNED then
          xv := resize(signed(in_x(8 * i + 7 downto 8 * i)), 9);
        else
          xv := signed('0' & in_x(8 * i + 7 downto 8 * i));
        end if;
        p_prod(i) <= xv * signed(in_w(8 * i + 7 downto 8 * i));
      end loop;
      p_valid <= in_valid;
      p_first <= in_first;
      p_last  <= in_last;
      p_bias  <= signed(in_bias);
      p_scale <= in_scale;

      -- Stage 3: adder tree (written as a sum; synthesis balances it).
      sum := (others => '0');
      for i in 0 to PAR - 1 loop
        sum := sum + resize(p_prod(i), SUM_W);
      end loop;
      s_sum   <= sum;
      s_valid <= p_valid;
      s_first <= p_first;
      s_last  <= p_last;
      s_bias  <= p_bias;
      s_scale <= p_scale;

      -- Stage 4: accumulate; a first cycle restarts from the bias.
      a_done <= '0';
      if s_valid = '1' then
        if s_first = '1' then
          acc := resize(s_bias, ACC_W);
        else
          acc := a_acc;
        end if;
        a_acc  <= acc + resize(s_sum, ACC_W);
        a_done <= s_last;
        a_scale <= s_scale;              -- the last cycle's: the result's channel
      end if;

      -- Stage 5: the shift output stage of SPEC §2 (unused with REQUANT_F32).
      r_valid <= a_done;
      if ZP_OUT = 0 and CLAMP_LO = -128 then
        r_data <= std_logic_vector(requant(narrow(a_acc), SH - T, ACT, LEAKY_K, CLAMP_HI));
      else
        r_data <= std_logic_vector(requant_zp(narrow(a_acc), SH - T, ACT, LEAKY_K,
                                              ZP_OUT, CLAMP_LO, CLAMP_HI));
      end if;

      if rst = '1' then
        p_valid <= '0';
        s_valid <= '0';
        a_done  <= '0';
        r_valid <= '0';
      end if;
    end if;
  end process;

  g_shift : if not REQUANT_F32 generate
    out_valid <= r_valid;
    out_data  <= r_data;
  end generate;

  -- The float32 stage: cnn_requant (5 cycles) on the int32 accumulator.
  g_f32 : if REQUANT_F32 generate
    function lo_eff return integer is
    begin
      if ACT = ACT_RELU then
        return max_int(CLAMP_LO, ZP_OUT);  -- Relu: y >= the quantized zero
      end if;
      return CLAMP_LO;
    end function;
    signal acc32 : std_logic_vector(31 downto 0);
  begin
    acc32 <= std_logic_vector(sat_bits(a_acc, 32));
    u_f32 : entity work.cnn_requant
      port map (
        clk => clk, rst => rst,
        in_valid => a_done, in_acc => acc32, in_scale => a_scale,
        in_zp => std_logic_vector(to_signed(ZP_OUT, 8)),
        in_lo => std_logic_vector(to_signed(lo_eff, 8)),
        in_hi => std_logic_vector(to_signed(CLAMP_HI, 8)),
        out_valid => out_valid, out_data => out_data);
  end generate;
end architecture;
