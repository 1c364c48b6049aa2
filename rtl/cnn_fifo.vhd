-- cnn_fifo: an elastic buffer of DEPTH beats between two PEs. It decouples a
-- producer that emits in bursts from a consumer that accepts in bursts (e.g.
-- a conv that takes a row only when a line-buffer slot frees up), so that the
-- slower of the two, not their coupling, sets the pipeline's interval.
--
-- Latency: 1 cycle (a beat written on an edge is offered from the next).
-- Throughput: 1 beat per cycle in and out at once, also when full.
-- Backpressure: in_ready is low only while DEPTH beats are stored; out_valid
-- and out_data stay stable until accepted. Nothing is lost or reordered.
-- Cycle model: cycles per image = its beats per image (1 per cycle).
library ieee;
use ieee.std_logic_1164.all;

entity cnn_fifo is
  generic (
    WIDTH : positive := 8;
    DEPTH : positive := 16
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

architecture rtl of cnn_fifo is
  type mem_t is array (0 to DEPTH - 1) of std_logic_vector(WIDTH - 1 downto 0);
  signal mem    : mem_t := (others => (others => '0'));
  signal wr_ptr : natural range 0 to DEPTH - 1 := 0;
  signal rd_ptr : natural range 0 to DEPTH - 1 := 0;
  signal count  : natural range 0 to DEPTH := 0;
  signal full, empty : std_logic;
begin
  full      <= '1' when count = DEPTH else '0';
  empty     <= '1' when count = 0 else '0';
  in_ready  <= not full or out_ready;  -- a full FIFO takes a beat while one leaves
  out_valid <= not empty;
  out_data  <= mem(rd_ptr);

  process (clk)
    variable push, pop : boolean;
  begin
    if rising_edge(clk) then
      pop  := empty = '0' and out_ready = '1';
      push := in_valid = '1' and (full = '0' or out_ready = '1');
      if push then
        mem(wr_ptr) <= in_data;
        if wr_ptr = DEPTH - 1 then
          wr_ptr <= 0;
        else
          wr_ptr <= wr_ptr + 1;
        end if;
      end if;
      if pop then
        if rd_ptr = DEPTH - 1 then
          rd_ptr <= 0;
        else
          rd_ptr <= rd_ptr + 1;
        end if;
      end if;
      if push and not pop then
        count <= count + 1;
      elsif pop and not push then
        count <= count - 1;
      end if;
      if rst = '1' then
        wr_ptr <= 0;
        rd_ptr <= 0;
        count  <= 0;
      end if;
    end if;
  end process;
end architecture;
