-- cnn_gap: global average pooling. For each channel of an HxWxC image (HWC
-- order), the sum S of its H*W values p(x), then with N = H*W (SPEC §2):
--   y = sat8(RHE(S / (N * 2^s))), s = SHIFT for S >= 0; for S < 0:
--   s = SHIFT + LEAKY_K (ACT_LEAKY), y = 0 (ACT_RELU), s = SHIFT (ACT_NONE).
-- p(x) is the pre-activation of a float segment (PRE_ACT, PRE_LEAKY_K,
-- cnn_pkg.pre_activation): x * 2^k for x >= 0 under ACT_LEAKY (S is then at
-- 2^-(f_in + k), which SHIFT includes), 0 for x < 0 under ACT_RELU.
-- Exact division: cnn_div_rhe. Output: C beats (a 1x1xC image) per image.
-- SPEC v2: with A = S - ZP_IN * N (the input's zero point; 0 by default),
--   shift:  y = clamp(r + ZP_OUT, CLAMP_LO, CLAMP_HI), r = the rounding
--           above of A (before its int8 saturation); with ZP_IN = ZP_OUT = 0,
--           CLAMP_LO = -128 it is the formula above, the same logic;
--   float (REQUANT_F32): y = clamp(RNE(f32(f32(A) * s)) + ZP_OUT, CLAMP_LO,
--           CLAMP_HI), s = SCALES(0) (float32 bits: x_scale / (y_scale * N),
--           as onnxruntime computes it), by cnn_requant.
--
-- How: C accumulators of 8 + pre_bits + clog2(N) + 1 bits in a small memory (address =
-- channel); the first pixel of an image overwrites, the others add; the last
-- pixel's beat of channel ch sends its final sum through the divider into the
-- output register instead of writing it back (float: into cnn_requant, whose
-- result goes into an 8-entry credit FIFO, a slot reserved as the beat is
-- accepted).
-- Cycle model: cycles per image = H * W * C (1 input beat per cycle), both
-- stages (float: the FIFO frees each slot 7 cycles after its reservation at
-- full rate, so 8 never stall the input).
-- Latency: 1 cycle from an image's last beat of channel ch to output ch (float:
-- 6, cnn_requant's 5 + the FIFO's 1); the C outputs leave in the last C cycles
-- of the image (+1, float +6).
-- Backpressure: cnn_skid on the output; in_ready = its registered ready.
-- Float: in_ready drops on a last-pixel beat when no FIFO slot is free.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_gap is
  generic (
    C       : positive := 1;
    H       : positive := 4;
    W       : positive := 4;
    PRE_ACT     : natural := ACT_NONE;
    PRE_LEAKY_K : natural := 0;
    SHIFT   : integer  := 0;
    ACT     : natural  := ACT_NONE;
    LEAKY_K : natural  := 3;
    CLAMP_HI : integer := 127;  -- upper clamp of y (-128..127)
    CLAMP_LO : integer := -128; -- lower clamp of y (-128..CLAMP_HI)
    ZP_OUT  : integer  := 0;    -- zero point of y
    ZP_IN   : integer  := 0;    -- zero point of x: A = S - ZP_IN * N
    REQUANT_F32 : boolean := false;  -- float32 output stage with SCALES(0)
    SCALES  : int_array := (0 => 0)  -- REQUANT_F32: one float32 bit pattern (positive normal)
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

architecture rtl of cnn_gap is
  constant N  : positive := H * W;
  constant AW : positive := 8 + pre_bits(PRE_ACT, PRE_LEAKY_K) + clog2(N) + 1;
  type acc_t is array (0 to C - 1) of signed(AW - 1 downto 0);
  signal acc_mem : acc_t;
  signal pix   : natural range 0 to N - 1 := 0;   -- pixel index in the image
  signal ch    : natural range 0 to C - 1 := 0;
  signal st_ready, fire, last_pix, in_ready_i : std_logic;
  signal prev  : signed(AW - 1 downto 0);
  signal sum   : signed(AW - 1 downto 0);
  -- A = S - ZP_IN * N: |ZP_IN * N| <= 2^(clog2(N) + 7).
  constant AZ : positive := max_int(AW, clog2(N) + 9) + 1;
  constant PLAIN : boolean := ZP_IN = 0 and ZP_OUT = 0 and CLAMP_LO = -128;
  signal acc_z : signed(AZ - 1 downto 0);
begin
  assert CLAMP_LO >= -128 and CLAMP_LO <= CLAMP_HI and CLAMP_HI <= 127 and ZP_OUT >= -128 and ZP_OUT <= 127
    report "cnn_gap: ZP_OUT, CLAMP_LO, CLAMP_HI out of range" severity failure;
  assert not REQUANT_F32 or ACT /= ACT_LEAKY
    report "cnn_gap: ACT_LEAKY has no float32 output stage" severity failure;

  fire     <= in_valid and in_ready_i;
  in_ready <= in_ready_i;
  last_pix <= '1' when pix = N - 1 else '0';
  prev     <= (others => '0') when pix = 0 else acc_mem(ch);
  sum      <= prev + pre_activation(signed(in_data), PRE_ACT, PRE_LEAKY_K, AW);
  acc_z    <= resize(sum, AZ) - to_signed(ZP_IN * N, AZ);

  process (clk)
  begin
    if rising_edge(clk) then
      if fire = '1' then
        acc_mem(ch) <= sum;
        if ch = C - 1 then
          ch <= 0;
          if pix = N - 1 then
            pix <= 0;
          else
            pix <= pix + 1;
          end if;
        else
          ch <= ch + 1;
        end if;
      end if;
      if rst = '1' then
        pix <= 0;
        ch  <= 0;
      end if;
    end if;
  end process;

  -- The shift stage, exactly as before SPEC v2.
  g_plain : if not REQUANT_F32 and PLAIN generate
    signal y_pos, y_neg : signed(7 downto 0);
    signal y     : std_logic_vector(7 downto 0);
  begin
    u_pos : entity work.cnn_div_rhe
      generic map (WIDTH => AW, N => N, SHIFT => SHIFT)
      port map (v => sum, y => y_pos);
    g_leaky : if ACT = ACT_LEAKY generate
      u_neg : entity work.cnn_div_rhe
        generic map (WIDTH => AW, N => N, SHIFT => SHIFT + LEAKY_K)
        port map (v => sum, y => y_neg);
    end generate;
    g_other : if ACT /= ACT_LEAKY generate
      y_neg <= to_signed(0, 8) when ACT = ACT_RELU else y_pos;
    end generate;
    y <= std_logic_vector(clamp_hi8(y_neg, CLAMP_HI)) when sum(AW - 1) = '1' else std_logic_vector(clamp_hi8(y_pos, CLAMP_HI));

    u_out : entity work.cnn_skid
      generic map (WIDTH => 8)
      port map (clk => clk, rst => rst,
                in_valid => in_valid and last_pix, in_ready => st_ready, in_data => y,
                out_valid => out_valid, out_ready => out_ready, out_data => out_data);
    in_ready_i <= st_ready;
  end generate;

  -- The shift stage with zero points and the lower clamp: the division of A
  -- saturated to 10 bits (exact: |r| >= 384 lands beyond the same bound
  -- after + ZP_OUT), then + ZP_OUT and the clamps.
  g_zp : if not REQUANT_F32 and not PLAIN generate
    signal r_pos, r_neg : signed(9 downto 0);
    signal y     : std_logic_vector(7 downto 0);
  begin
    u_pos : entity work.cnn_div_rhe
      generic map (WIDTH => AZ, N => N, SHIFT => SHIFT, OUT_W => 10)
      port map (v => acc_z, y => r_pos);
    g_leaky : if ACT = ACT_LEAKY generate
      u_neg : entity work.cnn_div_rhe
        generic map (WIDTH => AZ, N => N, SHIFT => SHIFT + LEAKY_K, OUT_W => 10)
        port map (v => acc_z, y => r_neg);
    end generate;
    g_other : if ACT /= ACT_LEAKY generate
      r_neg <= to_signed(0, 10) when ACT = ACT_RELU else r_pos;
    end generate;
    process (all)
      variable t : signed(10 downto 0);
    begin
      if acc_z(AZ - 1) = '1' then
        t := resize(r_neg, 11) + to_signed(ZP_OUT, 11);
      else
        t := resize(r_pos, 11) + to_signed(ZP_OUT, 11);
      end if;
      if t < to_signed(CLAMP_LO, 11) then
        y <= std_logic_vector(to_signed(CLAMP_LO, 8));
      elsif t > to_signed(CLAMP_HI, 11) then
        y <= std_logic_vector(to_signed(CLAMP_HI, 8));
      else
        y <= std_logic_vector(t(7 downto 0));
      end if;
    end process;

    u_out : entity work.cnn_skid
      generic map (WIDTH => 8)
      port map (clk => clk, rst => rst,
                in_valid => in_valid and last_pix, in_ready => st_ready, in_data => y,
                out_valid => out_valid, out_ready => out_ready, out_data => out_data);
    in_ready_i <= st_ready;
  end generate;

  -- The float32 stage: A into cnn_requant, its result into a credit FIFO.
  g_f32 : if REQUANT_F32 generate
    function lo_eff return integer is
    begin
      if ACT = ACT_RELU then
        return max_int(CLAMP_LO, ZP_OUT);  -- Relu: y >= the quantized zero
      end if;
      return CLAMP_LO;
    end function;
    signal reserve, can_reserve, r_valid : std_logic;
    signal acc32 : std_logic_vector(31 downto 0);
    signal r_data : std_logic_vector(7 downto 0);
  begin
    assert SCALES'length = 1 report "cnn_gap: SCALES must hold one float32 bit pattern" severity failure;
    in_ready_i <= can_reserve or not last_pix;
    reserve    <= fire and last_pix;
    acc32      <= std_logic_vector(sat_bits(acc_z, 32));

    u_f32 : entity work.cnn_requant
      port map (
        clk => clk, rst => rst,
        in_valid => reserve, in_acc => acc32,
        in_scale => std_logic_vector(to_unsigned(SCALES(SCALES'low), 32)),
        in_zp => std_logic_vector(to_signed(ZP_OUT, 8)),
        in_lo => std_logic_vector(to_signed(lo_eff, 8)),
        in_hi => std_logic_vector(to_signed(CLAMP_HI, 8)),
        out_valid => r_valid, out_data => r_data);

    u_fifo : entity work.cnn_credit_fifo
      generic map (WIDTH => 8, DEPTH => 8)
      port map (
        clk => clk, rst => rst,
        reserve => reserve, can_reserve => can_reserve,
        in_valid => r_valid, in_data => r_data,
        out_valid => out_valid, out_ready => out_ready, out_data => out_data);
  end generate;
end architecture;
