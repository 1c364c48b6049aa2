-- tb_add_wrap: cnn_add in table mode (MODE_TABLE) with a 65536-entry table
-- fixed by two generics, for the block test (tests/tb_add.cpp builds the
-- same table; tb_lcg.hpp states the generator). Entry i = ua * 256 + ub:
--   KIND 0: seeded random, tb_lcg.hpp's weights: x(0) = SEED mod 65537,
--           x(n+1) = (75 x(n) + 74) mod 65537, t(i) = (x mod 256) - 128;
--   KIND 1: the saturating sum of the bytes read as int8, clamp(sa + sb)
--           (a and b in their places: the address order matters nowhere
--           else, so KIND 0 is the one that catches a swap);
--   KIND 2: one word: t(SEED mod 65536) = 127, every other word 0.
library ieee;
use ieee.std_logic_1164.all;
use work.cnn_pkg.all;

entity tb_add_wrap is
  generic (KIND : natural := 0; SEED : natural := 1);
  port (
    clk : in std_logic; rst : in std_logic;
    a_valid : in std_logic; a_ready : out std_logic; a_data : in std_logic_vector(7 downto 0);
    b_valid : in std_logic; b_ready : out std_logic; b_data : in std_logic_vector(7 downto 0);
    out_valid : out std_logic; out_ready : in std_logic; out_data : out std_logic_vector(7 downto 0)
  );
end entity;

architecture wrap of tb_add_wrap is
  function s8(u : natural) return integer is
  begin
    if u >= 128 then
      return u - 256;
    end if;
    return u;
  end function;

  function make_table return int_array is
    variable x : natural := SEED mod 65537;
    variable t : int_array(0 to 65535);
  begin
    for i in 0 to 65535 loop
      case KIND is
        when 0 =>
          x := (75 * x + 74) mod 65537;
          t(i) := (x mod 256) - 128;
        when 1 =>
          t(i) := max_int(-128, min_int(127, s8(i / 256) + s8(i mod 256)));
        when others =>
          t(i) := 0;
          if i = SEED mod 65536 then
            t(i) := 127;
          end if;
      end case;
    end loop;
    return t;
  end function;

  constant TBL : int_array(0 to 65535) := make_table;
begin
  dut : entity work.cnn_add
    generic map (MODE_TABLE => true, TABLE => TBL)
    port map (
      clk => clk, rst => rst,
      a_valid => a_valid, a_ready => a_ready, a_data => a_data,
      b_valid => b_valid, b_ready => b_ready, b_data => b_data,
      out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
