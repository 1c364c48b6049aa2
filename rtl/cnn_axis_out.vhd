-- cnn_axis_out: the last stage before the top's m_axis. Passes the internal
-- stream through and drives out_last on every BEATS-th beat (the last beat
-- of each result), counting beats since reset. FLIP_MSB inverts bit 7 of
-- every beat: a model whose output is uint8 streams it inside the pipeline
-- as u - 128 (SPEC v2, gen/ir.hpp), and m_axis then carries u again.
--
-- Cycle model: cycles per image = BEATS. Latency: 1 cycle.
-- Throughput: 1 beat per cycle. Backpressure: cnn_skid (data and last
-- travel together in it), in_ready registered.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity cnn_axis_out is
  generic (
    BEATS    : positive := 10;
    FLIP_MSB : boolean  := false   -- out_data = in_data xor x"80" (uint8 output)
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(7 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(7 downto 0);
    out_last  : out std_logic
  );
end entity;

architecture rtl of cnn_axis_out is
  signal cnt      : natural range 0 to BEATS - 1 := 0;
  signal st_ready : std_logic;
  signal st_data  : std_logic_vector(8 downto 0);
  signal q        : std_logic_vector(8 downto 0);
  signal y        : std_logic_vector(7 downto 0);
begin
  in_ready <= st_ready;
  y        <= (not in_data(7)) & in_data(6 downto 0) when FLIP_MSB else in_data;
  st_data  <= ('1' & y) when cnt = BEATS - 1 else ('0' & y);

  process (clk)
  begin
    if rising_edge(clk) then
      if in_valid = '1' and st_ready = '1' then
        if cnt = BEATS - 1 then
          cnt <= 0;
        else
          cnt <= cnt + 1;
        end if;
      end if;
      if rst = '1' then
        cnt <= 0;
      end if;
    end if;
  end process;

  u_out : entity work.cnn_skid
    generic map (WIDTH => 9)
    port map (clk => clk, rst => rst,
              in_valid => in_valid, in_ready => st_ready, in_data => st_data,
              out_valid => out_valid, out_ready => out_ready, out_data => q);
  out_data <= q(7 downto 0);
  out_last <= q(8);
end architecture;
