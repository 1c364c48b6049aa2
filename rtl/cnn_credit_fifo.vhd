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
-- Structure: a cnn_fifo of DEPTH beats (its storage: an array, or from
-- RAM_MIN_BITS = DEPTH * WIDTH on a block-RAM-style memory with a registered
-- read and an output stage, same ports cycle for cycle) plus the count of
-- free slots. Since stored + reserved <= DEPTH and every push spends a
-- reservation, a push always finds the FIFO's in_ready high (fewer than
-- DEPTH beats stored), so the FIFO's in_ready is not needed.
library ieee;
use ieee.std_logic_1164.all;

entity cnn_credit_fifo is
  generic (
    WIDTH        : positive := 8;
    DEPTH        : positive := 8;
    RAM_MIN_BITS : natural  := 1024  -- see cnn_fifo
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
  signal free        : natural range 0 to DEPTH := DEPTH;  -- neither stored nor reserved
  signal out_valid_i : std_logic;
begin
  can_reserve <= '1' when free /= 0 else '0';
  out_valid   <= out_valid_i;

  u_fifo : entity work.cnn_fifo
    generic map (WIDTH => WIDTH, DEPTH => DEPTH, RAM_MIN_BITS => RAM_MIN_BITS)
    port map (
      clk       => clk,
      rst       => rst,
      in_valid  => in_valid,
      in_ready  => open,
      in_data   => in_data,
      out_valid => out_valid_i,
      out_ready => out_ready,
      out_data  => out_data
    );

  process (clk)
    variable pop : boolean;
  begin
    if rising_edge(clk) then
      pop := out_valid_i = '1' and out_ready = '1';
      if reserve = '1' and not pop then
        free <= free - 1;
      elsif reserve = '0' and pop then
        free <= free + 1;
      end if;
      if rst = '1' then
        free <= DEPTH;
      end if;
    end if;
  end process;
end architecture;
