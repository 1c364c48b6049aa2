-- tb_gap_wrap: cnn_gap with its float32 scale given as one integer generic
-- (SCALE_BITS, the bit pattern; GHDL's -g takes no arrays), for the block
-- test's SPEC v2 configs. REQUANT_F32_I is an integer so the testbench sees it.
library ieee;
use ieee.std_logic_1164.all;
use work.cnn_pkg.all;

entity tb_gap_wrap is
  generic (
    C : positive := 1; H : positive := 4; W : positive := 4;
    PRE_ACT : natural := 0; PRE_LEAKY_K : natural := 0;
    SHIFT : integer := 0; ACT : natural := 0; LEAKY_K : natural := 3;
    CLAMP_HI : integer := 127; CLAMP_LO : integer := -128; ZP_OUT : integer := 0; ZP_IN : integer := 0;
    REQUANT_F32_I : natural := 0; SCALE_BITS : natural := 16#3F800000#
  );
  port (
    clk : in std_logic; rst : in std_logic;
    in_valid : in std_logic; in_ready : out std_logic; in_data : in std_logic_vector(7 downto 0);
    out_valid : out std_logic; out_ready : in std_logic; out_data : out std_logic_vector(7 downto 0)
  );
end entity;

architecture wrap of tb_gap_wrap is
  constant SCS : int_array(0 to 0) := (0 => SCALE_BITS);
begin
  dut : entity work.cnn_gap
    generic map (
      C => C, H => H, W => W, PRE_ACT => PRE_ACT, PRE_LEAKY_K => PRE_LEAKY_K,
      SHIFT => SHIFT, ACT => ACT, LEAKY_K => LEAKY_K, CLAMP_HI => CLAMP_HI, CLAMP_LO => CLAMP_LO,
      ZP_OUT => ZP_OUT, ZP_IN => ZP_IN, REQUANT_F32 => REQUANT_F32_I /= 0, SCALES => SCS)
    port map (
      clk => clk, rst => rst, in_valid => in_valid, in_ready => in_ready, in_data => in_data,
      out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
