-- cnn_act: a standalone activation / rescale layer, elementwise:
-- out = cnn_pkg.requant(in, SHIFT, ACT, LEAKY_K, CLAMP_HI), i.e. the exact
-- value in * 2^-SHIFT, activation on it (ACT_NONE / ACT_RELU / ACT_LEAKY with
-- alpha = 2^-LEAKY_K), one round half to even, clamped to [-128, CLAMP_HI].
-- SHIFT = f_in - f_out, may be negative (a left shift).
--
-- Cycle model: cycles per image = H * W * C (beats per image; one per cycle).
-- Latency: 1 cycle. Throughput: 1 beat per cycle.
-- Backpressure: cnn_skid on the output (in_ready registered).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_act is
  generic (
    SHIFT   : integer := 0;
    ACT     : natural := ACT_NONE;
    LEAKY_K : natural := 3;
    CLAMP_HI : integer := 127   -- upper clamp of out (0..127; < 127: Clip(0, max))
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

architecture rtl of cnn_act is
  signal y : std_logic_vector(7 downto 0);
begin
  y <= std_logic_vector(requant(signed(in_data), SHIFT, ACT, LEAKY_K, CLAMP_HI));

  u_out : entity work.cnn_skid
    generic map (WIDTH => 8)
    port map (clk => clk, rst => rst,
              in_valid => in_valid, in_ready => in_ready, in_data => y,
              out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
