-- cnn_skid: the one pipeline-stage idiom of the library. A two-entry skid
-- buffer: every output and in_ready come straight from registers, so chains
-- of stages never build long combinational valid/ready paths.
--
-- Latency: 1 cycle. Throughput: 1 beat per cycle. Backpressure: when out_ready
-- drops, one more beat is caught in the skid register, then in_ready drops
-- (registered); no beat is lost, duplicated or reordered.
library ieee;
use ieee.std_logic_1164.all;

entity cnn_skid is
  generic (
    WIDTH : positive := 8
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(WIDTH - 1 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(WIDTH - 1 downto 0)
  );
end entity;

architecture rtl of cnn_skid is
  signal out_valid_r : std_logic := '0';
  signal out_data_r  : std_logic_vector(WIDTH - 1 downto 0) := (others => '0');
  signal skid_valid  : std_logic := '0';
  signal skid_data   : std_logic_vector(WIDTH - 1 downto 0) := (others => '0');
begin
  in_ready  <= not skid_valid;
  out_valid <= out_valid_r;
  out_data  <= out_data_r;

  process (clk)
  begin
    if rising_edge(clk) then
      if out_valid_r = '0' or out_ready = '1' then
        -- The output register is free (or being emptied): refill it.
        if skid_valid = '1' then
          out_data_r  <= skid_data;
          out_valid_r <= '1';
          skid_valid  <= '0';
        else
          out_data_r  <= in_data;
          out_valid_r <= in_valid;
        end if;
      elsif in_valid = '1' and skid_valid = '0' then
        -- Output stalled: the beat accepted this cycle waits in the skid register.
        skid_data  <= in_data;
        skid_valid <= '1';
      end if;
      if rst = '1' then
        out_valid_r <= '0';
        skid_valid  <= '0';
      end if;
    end if;
  end process;
end architecture;
