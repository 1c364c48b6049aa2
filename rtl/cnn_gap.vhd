-- cnn_gap: global average pooling. For each channel of an HxWxC image (HWC
-- order), the sum S of its H*W values p(x), then with N = H*W (SPEC §2):
--   y = sat8(RHE(S / (N * 2^s))), s = SHIFT for S >= 0; for S < 0:
--   s = SHIFT + LEAKY_K (ACT_LEAKY), y = 0 (ACT_RELU), s = SHIFT (ACT_NONE).
-- p(x) is the pre-activation of a float segment (PRE_ACT, PRE_LEAKY_K,
-- cnn_pkg.pre_activation): x * 2^k for x >= 0 under ACT_LEAKY (S is then at
-- 2^-(f_in + k), which SHIFT includes), 0 for x < 0 under ACT_RELU.
-- Exact division: cnn_div_rhe. Output: C beats (a 1x1xC image) per image.
--
-- How: C accumulators of 8 + pre_bits + clog2(N) + 1 bits in a small memory (address =
-- channel); the first pixel of an image overwrites, the others add; the last
-- pixel's beat of channel ch sends its final sum through the divider into the
-- output register instead of writing it back.
-- Cycle model: cycles per image = H * W * C (1 input beat per cycle).
-- Latency: 1 cycle from an image's last beat of channel ch to output ch; the
-- C outputs leave in the last C cycles of the image (+1).
-- Backpressure: cnn_skid on the output; in_ready = its registered ready.
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

architecture rtl of cnn_gap is
  constant N  : positive := H * W;
  constant AW : positive := 8 + pre_bits(PRE_ACT, PRE_LEAKY_K) + clog2(N) + 1;
  type acc_t is array (0 to C - 1) of signed(AW - 1 downto 0);
  signal acc_mem : acc_t;
  signal pix   : natural range 0 to N - 1 := 0;   -- pixel index in the image
  signal ch    : natural range 0 to C - 1 := 0;
  signal st_ready, fire, last_pix : std_logic;
  signal prev  : signed(AW - 1 downto 0);
  signal sum   : signed(AW - 1 downto 0);
  signal y_pos, y_neg : signed(7 downto 0);
  signal y     : std_logic_vector(7 downto 0);
begin
  fire     <= in_valid and st_ready;
  in_ready <= st_ready;
  last_pix <= '1' when pix = N - 1 else '0';
  prev     <= (others => '0') when pix = 0 else acc_mem(ch);
  sum      <= prev + pre_activation(signed(in_data), PRE_ACT, PRE_LEAKY_K, AW);

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
end architecture;
