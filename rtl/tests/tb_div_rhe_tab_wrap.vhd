-- Test wrapper of cnn_div_rhe with a table of divisors: DIVS(i) =
-- (i / KW + 1) * (i mod KW + 1), i < KH*KW, as cnn_avgpool builds it for
-- per-window counts (a block-test top cannot take an int_array generic).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity tb_div_rhe_tab_wrap is
  generic (
    WIDTH : positive := 12;
    KH    : positive := 3;
    KW    : positive := 3;
    SHIFT : integer  := 0
  );
  port (
    v   : in  signed(WIDTH - 1 downto 0);
    sel : in  natural range 0 to 255;
    y   : out signed(7 downto 0)
  );
end entity;

architecture rtl of tb_div_rhe_tab_wrap is
  function products return int_array is
    variable r : int_array(0 to KH * KW - 1);
  begin
    for i in r'range loop
      r(i) := (i / KW + 1) * (i mod KW + 1);
    end loop;
    return r;
  end function;
begin
  u_div : entity work.cnn_div_rhe
    generic map (WIDTH => WIDTH, N => 1, SHIFT => SHIFT, DIVS => products)
    port map (v => v, sel => sel, y => y);
end architecture;
