-- tb_lut_wrap: cnn_lut with a table fixed by two generics, for the block test
-- (tests/tb_lut.cpp builds the same table; tb_lcg.hpp states the generator):
--   KIND 0: seeded random, the weights of tb_lcg.hpp's lcg_values: x(0) =
--           SEED mod 65537, x(n+1) = (75 x(n) + 74) mod 65537, t(i) = (x mod 256) - 128;
--   KIND 1: the identity, t(i) = i as int8 (i - 256 for i >= 128);
--   KIND 2: a ReLU, t(i) = max(int8(i), 0) (half of the words all-zero);
--   KIND 3: one word: t(SEED mod 256) = 127, every other word 0;
--   KIND 4: a constant, t(i) = SEED - 128 for every i;
--   KIND 5: the stream's uint8 shift, t(i) = i - 128 (bit 7 flipped).
library ieee;
use ieee.std_logic_1164.all;
use work.cnn_pkg.all;

entity tb_lut_wrap is
  generic (KIND : natural := 0; SEED : natural := 1);
  port (
    clk : in std_logic; rst : in std_logic;
    in_valid : in std_logic; in_ready : out std_logic; in_data : in std_logic_vector(7 downto 0);
    out_valid : out std_logic; out_ready : in std_logic; out_data : out std_logic_vector(7 downto 0)
  );
end entity;

architecture wrap of tb_lut_wrap is
  function make_table return int_array is
    variable x : natural := SEED mod 65537;
    variable t : int_array(0 to 255);
    variable s : integer;
  begin
    for i in 0 to 255 loop
      s := i;
      if i >= 128 then
        s := i - 256;
      end if;
      case KIND is
        when 0 =>
          x := (75 * x + 74) mod 65537;
          t(i) := (x mod 256) - 128;
        when 1 => t(i) := s;
        when 2 => t(i) := max_int(s, 0);
        when 3 =>
          t(i) := 0;
          if i = SEED mod 256 then
            t(i) := 127;
          end if;
        when 4 => t(i) := (SEED mod 256) - 128;
        when others => t(i) := i - 128;
      end case;
    end loop;
    return t;
  end function;

  constant TBL : int_array(0 to 255) := make_table;
begin
  dut : entity work.cnn_lut
    generic map (TABLE => TBL)
    port map (
      clk => clk, rst => rst, in_valid => in_valid, in_ready => in_ready, in_data => in_data,
      out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
