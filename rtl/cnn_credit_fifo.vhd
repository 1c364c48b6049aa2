-- cnn_credit_fifo: the output FIFO of a non-stalling pipeline. The pipeline
-- reserves a slot (reserve = '1', allowed while can_reserve = '1') when it
-- starts a result, and pushes the result (in_valid) some fixed number of
-- cycles later without ever being refused; so the pipeline itself needs no
-- stall logic, only an issue condition. A push needs no reservation of its
-- own other than the one made earlier; every push must match one reserve.
--
-- Latency: 1 cycle from push to out_valid. Throughput: 1 beat per cycle.
-- Backpressure: out_ready low keeps out_valid/out_data stable (AXI rule);
-- can_reserve drops once DEPTH results are stored or reserved, which stalls
-- the issuing pipeline before anything could be lost.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity cnn_credit_fifo is
  generic (
    WIDTH : positive := 8;
    DEPTH : positive := 8
  );
  port (
    clk         : in  std_logic;
    rst         : in  std_logic;
    reserve     : in  std_logic;
    can_reserve : out std_logic;
    in_valid    : in  std_logic;
    in_data     : in  std_logic_vector(WIDTH - 1 downto 0);
    out_valid   : out std_logic;
    out_ready   : in  std_logic;
    out_data    : out std_logic_vector(WIDTH - 1 downto 0)
  );
end entity;

architecture rtl of cnn_credit_fifo is
  type mem_t is array (0 to DEPTH - 1) of std_logic_vector(WIDTH - 1 downto 0);
  signal mem    : mem_t := (others => (others => '0'));
  signal wr_ptr : natural range 0 to DEPTH - 1 := 0;
  signal rd_ptr : natural range 0 to DEPTH - 1 := 0;
  signal count  : natural range 0 to DEPTH := 0;  -- stored results
  signal free   : natural range 0 to DEPTH := DEPTH;  -- neither stored nor reserved
begin
  can_reserve <= '1' when free /= 0 else '0';
  out_valid   <= '1' when count /= 0 else '0';
  out_data    <= mem(rd_ptr);

  process (clk)
    variable pop : boolean;
  begin
    if rising_edge(clk) then
      pop := count /= 0 and out_ready = '1';
      if in_valid = '1' then
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
      if in_valid = '1' and not pop then
        count <= count + 1;
      elsif in_valid = '0' and pop then
        count <= count - 1;
      end if;
      if reserve = '1' and not pop then
        free <= free - 1;
      elsif reserve = '0' and pop then
        free <= free + 1;
      end if;
      if rst = '1' then
        wr_ptr <= 0;
        rd_ptr <= 0;
        count  <= 0;
        free   <= DEPTH;
      end if;
    end if;
  end process;
end architecture;
